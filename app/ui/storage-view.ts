// The disk manager's storage line: used of quota (navigator.storage.estimate()), whether the
// browser keeps these disks under storage pressure, and the "Keep my disks" request (persist()).

import { isBusy, setBusy } from './busy.ts';
import { h } from '../dom.ts';
import { requestPersistence, storageEstimate } from '../images/storage.ts';
import { fmtBytes } from './format.ts';

export class StorageView {
  readonly root: HTMLElement;
  private readonly figures = h('span', { 'aria-label': 'storage used' }, 'Storage: …');
  private readonly keep = h('button', { type: 'button' }, 'Keep my disks');
  private readonly answer = h('span', { role: 'status', 'aria-label': 'persistence' });

  constructor() {
    this.keep.addEventListener('click', () => void this.askToKeep());
    this.root = h('p', { class: 'storage' }, this.figures, ' ', this.keep, ' ', this.answer);
  }

  async refresh(): Promise<void> {
    const s = await storageEstimate();
    const pct = s.quota ? ` (${((100 * s.usage) / s.quota).toFixed(1)} %)` : '';
    this.figures.textContent =
      `Storage: ${fmtBytes(s.usage)} used of ${fmtBytes(s.quota)}${pct} · ` +
      (s.persisted ? 'kept: the browser will not evict these disks' : 'not kept (evictable)');
    this.keep.hidden = s.persisted;
  }

  private async askToKeep(): Promise<void> {
    if (isBusy(this.keep)) return;
    setBusy(this.keep, true);
    try {
      const granted = await requestPersistence();
      this.answer.textContent = granted
        ? 'The browser granted persistent storage: it will not evict your disks on its own.'
        : 'The browser said no (it decides by its own rules, e.g. how much you use this site); ' +
          'your disks may be evicted when storage runs short. Export what you must keep.';
    } catch (e) {
      this.answer.textContent = `Could not ask: ${(e as Error).message}`;
    } finally {
      setBusy(this.keep, false);
      await this.refresh();
    }
  }
}

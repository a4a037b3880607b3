// The Disks panel's table of images: a row per image (size, space used, chunk size, created,
// base, who has it open) and its buttons, brought up to date in place so that keyboard focus
// stays on the button it is on while the figures move.

import { h } from '../dom.ts';
import type { ImageInfo } from '../shared/block/image-format.ts';
import { fmtBytes } from './format.ts';

/** An image's row: kept while the image exists, so that its buttons keep their focus. */
interface Row {
  tr: HTMLTableRowElement;
  info: ImageInfo;
  /** An image, or one whose metadata could not be read (its error and Delete only). */
  shape: 'image' | 'problem';
  name: HTMLTableCellElement;
  cells: HTMLTableCellElement[];
}

/** What a row's buttons do; Boot Linux is offered only when there is a Linux panel. */
export interface ImageActions {
  boot(name: string): Promise<void>;
  bootLinux: ((name: string) => Promise<void>) | undefined;
  exportImage(info: ImageInfo): Promise<void>;
  resize(info: ImageInfo): Promise<void>;
  remove(info: ImageInfo): Promise<void>;
}

export class ImageTable {
  readonly root: HTMLTableElement;
  private readonly tbody = h('tbody', {});
  private readonly rows = new Map<string, Row>();
  private readonly actions: ImageActions;
  /** Runs a button's action (the panel reports its error and refreshes). */
  private readonly run: (fn: () => Promise<void>) => Promise<void>;

  constructor(actions: ImageActions, run: (fn: () => Promise<void>) => Promise<void>) {
    this.actions = actions;
    this.run = run;
    this.root = h(
      'table',
      { 'aria-label': 'images', class: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Size', 'Used', 'Chunk', 'Created', 'Base', 'In use', 'Actions'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      this.tbody,
    );
  }

  /**
   * Bring the table up to date in place: a row per image, kept for as long as the image exists,
   * its cells rewritten and its buttons kept, so keyboard focus stays on the button it is on
   * while the figures move.
   */
  draw(images: ImageInfo[], booted: string | undefined): void {
    const seen = new Set<string>();
    let prev: Element | null = null;
    for (const info of images) {
      seen.add(info.name);
      const shape: Row['shape'] = info.error ? 'problem' : 'image';
      let row = this.rows.get(info.name);
      if (!row || row.shape !== shape) {
        const fresh = this.newRow(info, shape);
        row?.tr.replaceWith(fresh.tr);
        row = fresh;
        this.rows.set(info.name, row);
      }
      row.info = info;
      this.fill(row, booted);
      const next: Element | null = prev ? prev.nextElementSibling : this.tbody.firstElementChild;
      if (next !== row.tr) this.tbody.insertBefore(row.tr, next);
      prev = row.tr;
    }
    for (const [name, row] of this.rows) {
      if (seen.has(name)) continue;
      row.tr.remove();
      this.rows.delete(name);
    }
  }

  private newRow(info: ImageInfo, shape: Row['shape']): Row {
    const cells = Array.from({ length: shape === 'problem' ? 1 : 6 }, () => h('td', {}));
    const row: Row = {
      tr: h('tr', { 'data-image': info.name }),
      info,
      shape,
      cells,
      name: h('th', { scope: 'row' }),
    };
    const button = (label: string, fn: () => Promise<void>) => {
      const b = h('button', { type: 'button', 'aria-label': `${label} ${info.name}` }, label);
      b.addEventListener('click', () => void this.run(fn));
      return b;
    };
    const actions = h('td', { class: 'actions' });
    if (shape === 'image') {
      const { bootLinux } = this.actions;
      actions.append(button('Boot', () => this.actions.boot(row.info.name)));
      if (bootLinux) actions.append(button('Boot Linux', () => bootLinux(row.info.name)));
      actions.append(
        button('Export', () => this.actions.exportImage(row.info)),
        button('Resize', () => this.actions.resize(row.info)),
      );
      cells[4].className = 'url';
    } else {
      cells[0].className = 'problem';
      cells[0].colSpan = 6;
    }
    actions.append(button('Delete', () => this.actions.remove(row.info)));
    row.tr.append(row.name, ...cells, actions);
    return row;
  }

  /** A row's cells from its image's latest info. */
  private fill(row: Row, booted: string | undefined): void {
    const i = row.info;
    const set = (el: HTMLElement, text: string) => {
      if (el.textContent !== text) el.textContent = text;
    };
    set(row.name, i.name === booted ? `${i.name} (booted)` : i.name);
    if (row.shape === 'problem') {
      set(row.cells[0], i.error ?? '');
      return;
    }
    const inUse = i.importing ? ['import'] : i.inUse;
    const [size, used, chunk, created, base, who] = row.cells;
    set(size, fmtBytes(i.virtualSize));
    set(used, fmtBytes(i.actualSize));
    set(chunk, fmtBytes(i.chunkSize));
    set(created, new Date(i.created).toLocaleString());
    set(base, i.backing ? i.backing.url : '—');
    who.dataset.inUse = inUse.join(' ');
    set(who, inUse.length ? inUse.join(', ') : 'no');
  }
}

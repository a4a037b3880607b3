// The "Compare policies" panel: runs the cold-burst benchmark in this tab, a fresh machine per
// pool policy on images of its own (never "default"), and shows the table `npm run bench` prints,
// with each policy's ratios to bh and the targets marked met or not. The benchmark's code
// is loaded on the first click (app/lazy-bench.ts).

import type { ColdBurstResult } from '../../bench/shared/cold-burst-params.ts';
import { h } from '../dom.ts';
import { loadBench, type BenchModule } from '../lazy-bench.ts';
import type { WebAio } from '../webaio.ts';

/** The light vCPUs' runtime here: shorter than the terminal's default, the burst is the same. */
const RUNTIME_MS = 1000;
const IMAGE_PREFIX = 'compare-';

export class CompareView {
  readonly root: HTMLElement;
  private readonly webaio: WebAio;
  private readonly button = h('button', { type: 'button' }, 'Compare policies');
  private readonly stopVariant = h('input', { type: 'checkbox', name: 'stopVariant' });
  private readonly status = h(
    'p',
    { role: 'status', 'aria-label': 'comparison status' },
    'Not run yet.',
  );
  private readonly note = h('p', { class: 'hint' });
  private readonly table = h('table', {
    'aria-label': 'cold-burst comparison',
    class: 'grid compare',
  });
  private readonly targets = h('ul', { 'aria-label': 'targets', class: 'targets' });
  private readonly legend = h('ul', { class: 'hint' });

  constructor(webaio: WebAio) {
    this.webaio = webaio;
    this.button.addEventListener('click', () => void this.run());
    this.table.hidden = true;
    this.root = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'compare-title' },
      h('h2', { id: 'compare-title' }, 'Compare policies'),
      h(
        'p',
        {},
        'Measures, in this browser, what creating pool workers on the main thread buys. For each ' +
          'policy a fresh machine of 4 vCPUs on an image of its own: vCPU 0 submits 64 random ' +
          '4 KiB reads at once into an empty pool (prealloc: 8 workers ready), while vCPUs 1–3 ' +
          `compute with light I/O for ${RUNTIME_MS / 1000} s. Half a minute or so.`,
      ),
      h(
        'div',
        { class: 'controls' },
        this.button,
        h(
          'label',
          {},
          this.stopVariant,
          ' also stop vCPU 0 right after its burst under inline (its workers die with it)',
        ),
      ),
      this.status,
      this.note,
      h('div', { class: 'scroll' }, this.table),
      this.targets,
      this.legend,
    );
  }

  private async run(): Promise<void> {
    this.button.disabled = true;
    const demo = this.webaio.machine;
    this.note.textContent = demo?.vcpus.some((v) => v.isRunning)
      ? 'The demo machine keeps running meanwhile, so these figures are noisier; stop it in the ' +
        'Machine panel for cleaner ones.'
      : '';
    this.status.textContent = 'Starting…';
    let stop: (() => void) | undefined;
    const t0 = performance.now();
    try {
      const bench = await loadBench();
      stop = bench.onProgress((line) => (this.status.textContent = line));
      const r = await this.webaio.bench.coldBurst({
        runtimeMs: RUNTIME_MS,
        imagePrefix: IMAGE_PREFIX,
        stopVariant: this.stopVariant.checked,
      });
      this.show(bench, r);
      const failed = r.runs.filter((x) => x.error).map((x) => `${x.variant}: ${x.error}`);
      this.status.textContent =
        `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s. ` +
        (failed.length ? `Failed: ${failed.join('; ')}` : 'Ratios are each policy / bh.');
    } catch (e) {
      this.status.textContent = `The comparison failed: ${(e as Error).message}`;
    } finally {
      stop?.();
      this.button.disabled = false;
    }
  }

  private show(bench: BenchModule, r: ColdBurstResult): void {
    const t = bench.coldBurstTable(r);
    const head = h('tr', {}, ...t.head.map((c) => h('th', { scope: 'col' }, c)));
    const rows = t.rows.map((cells) =>
      h(
        'tr',
        { class: cells[0].includes('/') ? 'ratio' : undefined, 'data-policy': cells[0] },
        h('th', { scope: 'row' }, cells[0]),
        ...cells.slice(1).map((c) => h('td', {}, c)),
      ),
    );
    this.table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
    this.table.hidden = false;
    this.targets.replaceChildren(
      ...bench
        .coldBurstTargets(r)
        .map((x) =>
          h(
            'li',
            { 'data-met': String(x.met) },
            h('strong', {}, bench.verdictOf(x)),
            ` ${x.target}: ${x.measured}`,
          ),
        ),
    );
    this.legend.replaceChildren(...bench.COLD_BURST_LEGEND.map((l) => h('li', {}, l)));
  }
}

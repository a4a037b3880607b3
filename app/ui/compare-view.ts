// The "Compare policies" panel: runs the cold-burst benchmark in this tab — a few trials of each
// pool policy and kick mode, interleaved, each on a fresh machine on images of its own (never
// "default") — and shows the table `npm run bench` prints (medians, min–max, ratios to bh), the
// issue's targets, and the timeline of one trial. The benchmark is loaded on first use.

import type { ColdBurstResult } from '../../bench/shared/cold-burst-params.ts';
import { h } from '../dom.ts';
import { loadBench, type BenchModule } from '../lazy-bench.ts';
import type { WebAio } from '../webaio.ts';
import { TimelineView } from './timeline-view.ts';

/** The light vCPUs' runtime here: shorter than the terminal's default, the burst is the same. */
const RUNTIME_MS = 500;
const IMAGE_PREFIX = 'compare-';
const DEFAULT_TRIALS = 3;

export class CompareView {
  readonly root: HTMLElement;
  private readonly webaio: WebAio;
  private readonly button = h('button', { type: 'button' }, 'Compare policies');
  private readonly trials = h('input', {
    type: 'number',
    name: 'trials',
    min: 1,
    max: 9,
    value: DEFAULT_TRIALS,
  });
  private readonly stopVariant = h('input', { type: 'checkbox', name: 'stopVariant' });
  private readonly status = h(
    'p',
    { role: 'status', 'aria-label': 'comparison status' },
    'Not run yet.',
  );
  private readonly note = h('p', { class: 'hint' });
  private readonly caption = h('caption', {});
  private readonly table = h('table', {
    'aria-label': 'cold-burst comparison',
    class: 'grid compare',
  });
  private readonly targets = h('ul', { 'aria-label': 'targets', class: 'targets' });
  private readonly legend = h('ul', { class: 'hint' });
  readonly timeline = new TimelineView();

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
        'Measures, in this browser, what creating pool workers on the main thread buys. Each ' +
          'run is a fresh machine of 4 vCPUs on an image of its own: vCPU 0 submits 64 random ' +
          '4 KiB reads into an empty pool (prealloc: 8 workers ready) — with one doorbell for ' +
          'all of them (kick batch, as Linux does) and, to see why that matters, with one ' +
          `doorbell each (kick each) — while vCPUs 1–3 compute with light I/O for ` +
          `${RUNTIME_MS} ms. Trials alternate bh, prealloc, inline; each figure is their median ` +
          'with the min–max under it, since one run on a busy machine can be off. About 10 s a trial.',
      ),
      h(
        'div',
        { class: 'controls' },
        this.button,
        h('label', {}, 'Trials ', this.trials),
        h(
          'label',
          {},
          this.stopVariant,
          ' also stop vCPU 0 right after its burst under inline (its workers die with it)',
        ),
      ),
      this.status,
      this.note,
      this.table,
      this.targets,
      this.legend,
      this.timeline.root,
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
      const trials = Number(this.trials.value);
      const bench = await loadBench();
      stop = bench.onProgress((line) => (this.status.textContent = line));
      const r = await this.webaio.bench.coldBurst({
        runtimeMs: RUNTIME_MS,
        imagePrefix: IMAGE_PREFIX,
        stopVariant: this.stopVariant.checked,
        trials,
        trace: true,
      });
      await this.show(bench, r);
      const failed = r.runs.filter((x) => x.error).map((x) => `${x.variant}: ${x.error}`);
      this.status.textContent =
        `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${r.params.trials} ` +
        `trial(s) of each policy and kick mode. ` +
        (failed.length ? `Failed: ${failed.join('; ')}` : 'Ratios are each policy / bh.');
    } catch (e) {
      this.status.textContent = `The comparison failed: ${(e as Error).message}`;
    } finally {
      stop?.();
      this.button.disabled = false;
    }
  }

  private async show(bench: BenchModule, r: ColdBurstResult): Promise<void> {
    const t = bench.coldBurstTable(r);
    this.caption.textContent = `Medians of ${r.params.trials} trial(s), min–max below each; ratio rows divide medians.`;
    const head = h('tr', {}, ...t.head.map((c) => h('th', { scope: 'col' }, c)));
    const rows = t.rows.map((row) =>
      h(
        'tr',
        { class: row.kind, 'data-policy': row.label, 'data-kick': row.kick },
        h('th', { scope: 'row' }, row.label),
        h('td', {}, row.kick),
        h('td', { 'data-stat': 'trials' }, row.trials),
        ...row.cells.map((c) =>
          h(
            'td',
            {},
            h('span', { class: 'median' }, c.value),
            c.spread ? h('span', { class: 'spread' }, c.spread) : null,
          ),
        ),
        h('td', { class: 'creators' }, row.creators),
      ),
    );
    this.table.replaceChildren(this.caption, h('thead', {}, head), h('tbody', {}, ...rows));
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
    // The timeline: the first trial of each policy with one doorbell for the burst.
    const traces = r.runs.flatMap((run) =>
      run.trace && run.trial === 1 && run.kick === 'batch' && run.variant !== 'inline-stop'
        ? [run.trace]
        : [],
    );
    await this.timeline.show(traces);
  }
}

// "Benchmark details", out of the way under the lesson: the cold-burst table `npm run bench`
// prints (medians, min–max, ratios to bh) for the trials "Show me" ran, or for a full run of
// every policy and kick mode; and the targets, each explained in words — what it means, and why
// a noisy machine can miss it — rather than painted as a failure of the page.

import type { ColdBurstRun } from '../../bench/shared/cold-burst-params.ts';
import type { TargetResult } from '../../bench/shared/targets.ts';
import { h } from '../dom.ts';
import { setBusy } from './busy.ts';
import { loadBench, type BenchModule } from '../lazy-bench.ts';
import type { WebAio } from '../webaio.ts';

const IMAGE_PREFIX = 'compare-';
const DEFAULT_TRIALS = 3;
/** The light vCPUs' runtime here: shorter than the terminal's default; the burst is the same. */
const RUNTIME_MS = 500;

/** Per target: what it means, and why it can miss on a busy or small machine. */
const EXPLAINED: Record<string, { means: string; miss: string }> = {
  'inline-bh-exit-hold': {
    means:
      'Before the patch, vCPU 0 holds the big lock at least 20 times as long in its burst’s ' +
      'exit as with it: the seed’s point, measured in this browser.',
    miss:
      'The patched exit is about a millisecond; one preemption inside it on a busy 2-core ' +
      'machine adds several, and the ratio drops. More trials settle the medians.',
  },
  'bh-exit-hold': {
    means:
      'With the patch, the burst’s exit holds the lock under 1 ms: the vCPU only counts the ' +
      'workers it needs and schedules the bottom half.',
    miss:
      'The clock reads in 5 µs steps and the operating system may preempt the vCPU while it ' +
      'holds the lock: that time counts as held.',
  },
  'others-bql-wait': {
    means:
      'The other vCPUs wait for the lock at most a fifth as long with the patch: they are no ' +
      'longer stuck behind vCPU 0 creating workers.',
    miss:
      'On 2 cores, a vCPU that waits for the lock is often just not scheduled, under either ' +
      'policy: the waits are few and noisy, so the ratio is too.',
  },
  'prealloc-first-completion': {
    means:
      'With workers created up front (prealloc), the first read is answered at most a fifth ' +
      'as late as when the pool starts empty (bh).',
    miss:
      'Under bh the first answer waits for one worker to start, a few tens of ms here; when ' +
      'the browser starts it quickly the gap shrinks below five times.',
  },
};

export class BenchmarkDetails {
  readonly root: HTMLDetailsElement;
  private readonly webaio: WebAio;
  private readonly run = h('button', { type: 'button' }, 'Run the full benchmark');
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
    { role: 'status', 'aria-label': 'benchmark status' },
    'The table fills in as "Show me" runs; the full benchmark adds prealloc and one doorbell per request.',
  );
  private readonly caption = h('caption', {});
  private readonly table = h('table', {
    'aria-label': 'cold-burst comparison',
    class: 'grid compare',
  });
  private readonly targets = h('ul', { 'aria-label': 'targets', class: 'targets' });
  private readonly legend = h('ul', { class: 'hint' });
  private running = false;

  constructor(webaio: WebAio) {
    this.webaio = webaio;
    this.run.addEventListener('click', () => void this.runFull());
    this.table.hidden = true;
    this.root = h(
      'details',
      { class: 'panel benchmark' },
      h('summary', {}, h('h2', { id: 'benchmark-title' }, 'Benchmark details')),
      h(
        'p',
        {},
        'The figures behind the answer, as `npm run bench` prints them. Each run is a fresh ' +
          'machine of 4 vCPUs on an image of its own: vCPU 0 submits 64 random 4 KiB reads ' +
          'into an empty pool (prealloc: 8 workers ready), with one doorbell for all of them ' +
          '(kick batch, as Linux does) or one each (kick each), while vCPUs 1–3 compute with ' +
          `light I/O for ${RUNTIME_MS} ms. Each figure is the median over the trials, with ` +
          'the min–max under it. About 3 s a run.',
      ),
      h(
        'div',
        { class: 'controls' },
        this.run,
        h('label', {}, 'Trials ', this.trials),
        h(
          'label',
          {},
          this.stopVariant,
          ' also stop vCPU 0 right after its burst under inline (its workers die with it)',
        ),
      ),
      this.status,
      h('div', { class: 'scroll' }, this.table),
      h('h3', {}, 'Targets'),
      this.targets,
      this.legend,
    ) as HTMLDetailsElement;
  }

  /** The trials "Show me" has run so far (inline and bh, kick batch). */
  async showRuns(runs: readonly ColdBurstRun[]): Promise<void> {
    if (this.running) return;
    this.show(await loadBench(), runs);
  }

  private async runFull(): Promise<void> {
    if (this.running) return;
    this.running = true;
    setBusy(this.run, true);
    const t0 = performance.now();
    let stop: (() => void) | undefined;
    try {
      const bench = await loadBench();
      stop = bench.onProgress((line) => (this.status.textContent = line));
      const r = await this.webaio.bench.coldBurst({
        runtimeMs: RUNTIME_MS,
        imagePrefix: IMAGE_PREFIX,
        stopVariant: this.stopVariant.checked,
        trials: Number(this.trials.value),
      });
      this.show(bench, r.runs);
      const failed = r.runs.filter((x) => x.error).map((x) => `${x.variant}: ${x.error}`);
      this.status.textContent =
        `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${r.params.trials} ` +
        `trial(s) of each policy and kick mode. ` +
        (failed.length ? `Failed: ${failed.join('; ')}` : 'Ratios are each policy / bh.');
    } catch (e) {
      this.status.textContent = `The benchmark failed: ${(e as Error).message}`;
    } finally {
      stop?.();
      setBusy(this.run, false);
      this.running = false;
    }
  }

  private show(bench: BenchModule, runs: readonly ColdBurstRun[]): void {
    const summaries = bench.summarize(runs);
    const result = { summaries, ratios: bench.coldBurstRatios(summaries) };
    const t = bench.coldBurstTable(result);
    const trials = Math.max(...summaries.map((s) => s.trials));
    this.caption.textContent = `Medians of ${trials} trial(s), min–max below each; ratio rows divide medians.`;
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
    this.targets.replaceChildren(...bench.coldBurstTargets(result).map((x) => this.target(x)));
    this.legend.replaceChildren(...bench.COLD_BURST_LEGEND.map((l) => h('li', {}, l)));
  }

  private target(x: TargetResult): HTMLElement {
    const words = EXPLAINED[x.id];
    if (x.met === null) {
      return h('li', { 'data-met': 'null' }, h('strong', {}, 'Not measured yet: '), x.target, '.');
    }
    return h(
      'li',
      { 'data-met': String(x.met) },
      h('strong', {}, x.met ? 'Met: ' : 'Not met this time: '),
      words?.means ?? x.target,
      ' ',
      h('span', { class: 'measured' }, `Measured: ${x.measured}.`),
      !x.met && words ? h('span', { class: 'why' }, ` Why it can miss: ${words.miss}`) : null,
    );
  }
}

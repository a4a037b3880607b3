// The timeline: one trial of two chosen policies, one above the other on one time scale — a lane
// per vCPU, the main thread and every pool worker (with its creator), and under each the pool's
// counters — drawn with Observable Plot, with what to look at, the functions that make the
// difference (their source, from this build) and a "Download trace" button (Chrome trace JSON).

import type { MachineTrace } from '../shared/trace.ts';
import { chromeTrace } from '../shared/chrome-trace.ts';
import { h } from '../dom.ts';
import { LANE_STATES, timelineData, type LaneState, type TimelineData } from './timeline-data.ts';

type PlotModule = typeof import('@observablehq/plot');

const COLORS: Record<LaneState, string> = {
  running: '#dfe5ec',
  'BQL wait': '#f2b8a8',
  'in exit, BQL held': '#b5462e',
  halted: '#c8d3df',
  new_thread_bh: '#6a3d9a',
  completion_bh: '#8aa4bf',
  requested: '#ffffff',
  'being created': '#c9c9c9',
  starting: '#6f8f6f',
  idle: '#cfe3cf',
  serving: '#d9822b',
};

const ZOOMS = [
  ['20', 'first 20 ms of the burst'],
  ['200', 'first 200 ms'],
  ['all', 'the whole window'],
] as const;

/** The functions the lesson is about, cut out of this build's own source by name. */
const FUNCTIONS = [
  ['spawnThreadLocked', 'spawn_thread()'],
  ['spawnThreadBh', 'spawn_thread_bh_fn() — new_thread_bh'],
  ['workerStartedLocked', "the newborn's first act"],
] as const;

function excerpt(source: string, name: string): string {
  const start = source.indexOf(`  ${name}(`);
  if (start < 0) return `(${name} not found in this build)`;
  const doc = source.lastIndexOf('  /**', start);
  const from = doc >= 0 && source.slice(doc, start).split('*/').length === 2 ? doc : start;
  const end = source.indexOf('\n  }\n', start);
  return source.slice(from, end < 0 ? undefined : end + 4).replace(/^ {2}/gm, '');
}

export class TimelineView {
  readonly root: HTMLElement;
  private traces: MachineTrace[] = [];
  private readonly left = h('select', { name: 'timelineLeft' });
  private readonly right = h('select', { name: 'timelineRight' });
  private readonly zoom = h('select', { name: 'timelineZoom' });
  private readonly download = h('button', { type: 'button' }, 'Download trace');
  private readonly charts = h('div', { class: 'timeline-charts' });
  private readonly code = h('div', { class: 'timeline-code' });
  private readonly details = h(
    'details',
    {},
    h('summary', {}, 'The functions that make the difference'),
    this.code,
  );

  constructor() {
    for (const [value, text] of ZOOMS) this.zoom.append(h('option', { value }, text));
    this.zoom.value = '200';
    for (const s of [this.left, this.right, this.zoom]) {
      s.addEventListener('change', () => void this.draw());
    }
    this.download.addEventListener('click', () => this.save());
    this.root = h(
      'section',
      { class: 'timeline', 'aria-labelledby': 'timeline-title', hidden: true },
      h('h3', { id: 'timeline-title' }, 'Timeline of one trial'),
      h(
        'div',
        { class: 'timeline-text' },
        h(
          'p',
          {},
          'Each row is a thread. vCPU 0 rings the doorbell once for its 64 requests: that exit is ',
          h('span', { class: 'swatch', style: `background:${COLORS['in exit, BQL held']}` }),
          ' dark red while it holds the BQL (the big lock every vCPU needs to exit). Under ',
          h('strong', {}, 'inline'),
          ' (QEMU before the patch) ',
          h('a', { href: '#fn-spawnThreadLocked' }, 'spawn_thread()'),
          ' creates every worker inside that exit, so the red bar is long and the other vCPUs wait',
          ' for the lock (light red). Under ',
          h('strong', {}, 'bh'),
          ' (the patch) it only schedules the main thread’s ',
          h('a', { href: '#fn-spawnThreadBh' }, 'new_thread_bh'),
          ', which creates one worker per run (purple on the main thread); ',
          h('a', { href: '#fn-workerStartedLocked' }, 'each newborn'),
          ' asks for the next. The exit is short; the pool grows a little later, off the lock.',
        ),
        h(
          'p',
          { class: 'hint' },
          'Worker rows: white requested, grey being created, green starting, light green idle, ' +
            'orange serving a request. Below each, the pool’s counters: cur, idle, new (backlog), ' +
            'pending. Hover a bar for its length. The trace opens in Perfetto UI or chrome://tracing.',
        ),
      ),
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'Top ', this.left),
        h('label', {}, 'Bottom ', this.right),
        h('label', {}, 'Show ', this.zoom),
        this.download,
      ),
      this.charts,
      this.details,
    );
    // A link to a function opens its excerpt first, so the browser can scroll to it.
    this.root.addEventListener('click', (ev) => {
      if (ev.target instanceof HTMLAnchorElement && ev.target.hash.startsWith('#fn-')) {
        this.details.open = true;
      }
    });
  }

  /** Show these traces (one per policy); the first two are drawn. */
  async show(traces: MachineTrace[]): Promise<void> {
    this.traces = traces;
    const options = (s: HTMLSelectElement, pick: number) => {
      s.replaceChildren(...traces.map((t, i) => h('option', { value: i }, t.label)));
      s.value = String(Math.min(pick, traces.length - 1));
    };
    options(
      this.left,
      traces.findIndex((t) => t.policy === 'bh'),
    );
    options(
      this.right,
      traces.findIndex((t) => t.policy === 'inline'),
    );
    this.root.hidden = traces.length === 0;
    await Promise.all([this.draw(), this.showCode()]);
  }

  private chosen(): MachineTrace[] {
    return [this.left, this.right].flatMap((s) => this.traces[Number(s.value)] ?? []);
  }

  private async draw(): Promise<void> {
    const Plot: PlotModule = await import('@observablehq/plot');
    const data = this.chosen().map(timelineData);
    const span = this.zoom.value === 'all' ? undefined : Number(this.zoom.value);
    const lo = Math.min(0, ...data.map((d) => d.x1));
    const hi = span ?? Math.max(...data.map((d) => d.x2));
    const width = Math.min(1180, Math.max(600, this.charts.clientWidth || 1100));
    this.charts.replaceChildren(
      ...data.flatMap((d) => [
        h('h4', {}, d.label),
        this.lanesChart(Plot, d, [lo, hi], width),
        this.countersChart(Plot, d, [lo, hi], width),
      ]),
    );
  }

  private lanesChart(Plot: PlotModule, d: TimelineData, x: [number, number], width: number) {
    const visible = d.stretches.filter((s) => s.x2 >= x[0] && s.x1 <= x[1]);
    const chart = Plot.plot({
      width,
      height: 30 + 9 * d.lanes.length,
      marginLeft: 150,
      x: { domain: x, label: 'ms after the burst’s first submission', clamp: true },
      y: { domain: d.lanes, label: null, tickSize: 0 },
      color: { domain: [...LANE_STATES], range: LANE_STATES.map((s) => COLORS[s]), legend: true },
      marks: [
        Plot.barX(visible, {
          y: 'lane',
          x1: 'x1',
          x2: 'x2',
          fill: 'state',
          title: 'title',
          inset: 0.5,
        }),
        // A worker asked for and not created yet is white: outline it (a constant stroke, so it
        // does not share the fill's color scale).
        Plot.barX(
          visible.filter((s) => s.state === 'requested'),
          { y: 'lane', x1: 'x1', x2: 'x2', stroke: '#999', strokeWidth: 0.5, inset: 0.5 },
        ),
        Plot.ruleX([0], { stroke: '#1d2330', strokeDasharray: '3,3' }),
      ],
    });
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', `${d.label}: lanes of ${d.lanes.length} threads`);
    chart.dataset.lanes = String(d.lanes.length);
    const lanes = h('ul', { class: 'visually-hidden', 'aria-label': `${d.label} lanes` });
    lanes.append(...d.lanes.map((l) => h('li', {}, l)));
    return h('figure', { class: 'timeline-lanes' }, chart, lanes);
  }

  private countersChart(Plot: PlotModule, d: TimelineData, x: [number, number], width: number) {
    const chart = Plot.plot({
      width,
      height: 130,
      marginLeft: 150,
      x: { domain: x, label: null, clamp: true },
      y: { label: 'threads', grid: true },
      color: { legend: true },
      marks: [
        Plot.line(d.counters, {
          x: 'x',
          y: 'value',
          stroke: 'counter',
          curve: 'step-after',
          clip: true,
        }),
      ],
    });
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', `${d.label}: pool counters cur, idle, new, pending over time`);
    return h('figure', { class: 'timeline-counters' }, chart);
  }

  private async showCode(): Promise<void> {
    if (this.code.childElementCount > 0) return;
    const { default: source } = await import('../shared/thread-pool.ts?raw');
    this.code.append(
      h('p', { class: 'hint' }, 'From app/shared/thread-pool.ts, as this page was built:'),
      ...FUNCTIONS.flatMap(([name, title]) => [
        h('h4', { id: `fn-${name}` }, `${name} — ${title}`),
        h('pre', {}, h('code', {}, excerpt(source, name))),
      ]),
    );
  }

  /** The shown traces as one Chrome trace-event file. */
  traceFile(): string {
    return JSON.stringify(chromeTrace(this.chosen()));
  }

  private save(): void {
    const blob = new Blob([this.traceFile()], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: 'webaio-trace.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

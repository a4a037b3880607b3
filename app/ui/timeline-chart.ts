// One trial's timeline drawn with Observable Plot, on a time axis in ms from the burst's first
// submission: a lane per vCPU and the main thread, and the pool's workers either as a lane each
// (the detail view, every label on a row of its own, scrolled) or as one chart of how many
// were running and how many were still owed (the overview). Marks say where the burst ended.

import type { TimelineData, LaneState } from './timeline-data.ts';
import { LANE_STATES, MAIN_LANE } from './timeline-data.ts';
import { h } from '../dom.ts';

export type PlotModule = typeof import('@observablehq/plot');

export const COLORS: Record<LaneState, string> = {
  running: '#eef1f5',
  'BQL wait': '#f2b8a8',
  'in exit, BQL held': '#b5462e',
  halted: '#a9b8c9',
  new_thread_bh: '#6a3d9a',
  completion_bh: '#2a9d8f',
  requested: '#f1f1f1',
  'being created': '#9a9a9a',
  starting: '#6f8f6f',
  idle: '#cfe3cf',
  serving: '#d9822b',
};

/** A vertical line, e.g. where the burst was answered; the text around the chart says what it
 *  is (a label inside the chart would cover a lane). */
export interface ChartMark {
  x: number;
  label: string;
}

export interface ChartOptions {
  /** The time window shown (ms from the origin). */
  domain: [number, number];
  width: number;
  marks?: ChartMark[];
}

export interface DrawnChart {
  /** The chart, its legend and a hidden list of its lanes for screen readers. */
  root: HTMLElement;
  /** Where the plot area is: an overlay (the replay's playhead) is placed over it. */
  area: HTMLElement;
  /** px from the area's left edge for a time in ms, and the band of a lane (px from its top). */
  x(ms: number): number;
  lane(name: string): { top: number; height: number } | undefined;
}

const LABEL_PX = 11;
/** A lane's height: a label never overlaps the next one's. */
const ROW_PX = 15;
const AXIS_LABEL = 'ms after vCPU 0 rang the doorbell';

/** A chart as one image for assistive technology: its own label, none on its parts (Plot
 *  labels each mark's group, which a scan rightly flags inside an `img`). */
function asImage(chart: SVGSVGElement | HTMLElement, label: string): void {
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', label);
  for (const part of chart.querySelectorAll('[aria-label]')) part.removeAttribute('aria-label');
}

/** The colours of the lanes' states, as a legend. */
export function laneLegend(Plot: PlotModule, states: readonly LaneState[] = LANE_STATES): Element {
  return Plot.legend({
    color: { domain: [...states], range: states.map((s) => COLORS[s]) },
    swatchSize: 11,
    style: { fontSize: `${LABEL_PX}px` },
  });
}

function markLayers(Plot: PlotModule, marks: readonly ChartMark[]) {
  return [
    Plot.ruleX([0], { stroke: '#1d2330', strokeDasharray: '3,3' }),
    Plot.ruleX(marks, { x: 'x', stroke: '#1d2330', strokeWidth: 1.5, title: 'label' }),
  ];
}

/**
 * The lanes of `d` in the window: vCPUs and the main thread, then — unless `workers` is false —
 * every worker's lane.
 */
export function lanesChart(
  Plot: PlotModule,
  d: TimelineData,
  o: ChartOptions & { workers: boolean; legend?: boolean },
): DrawnChart {
  const lanes = o.workers ? d.lanes : d.lanes.slice(0, d.lanes.indexOf(MAIN_LANE) + 1);
  const shown = new Set(lanes);
  const [lo, hi] = o.domain;
  const visible = d.stretches.filter((s) => shown.has(s.lane) && s.x2 >= lo && s.x1 <= hi);
  const states = LANE_STATES.filter((s) => visible.some((v) => v.state === s));
  const marginTop = 34;
  const chart = Plot.plot({
    width: o.width,
    height: marginTop + 8 + ROW_PX * lanes.length,
    marginTop,
    marginLeft: o.workers ? 120 : 84,
    style: { fontSize: `${LABEL_PX}px` },
    x: { domain: o.domain, label: AXIS_LABEL, axis: 'top', clamp: true, labelAnchor: 'left' },
    y: { domain: lanes, label: null, tickSize: 0 },
    color: { domain: [...LANE_STATES], range: LANE_STATES.map((s) => COLORS[s]) },
    marks: [
      Plot.barX(visible, {
        y: 'lane',
        x1: 'x1',
        x2: 'x2',
        fill: 'state',
        title: 'title',
        inset: 0.5,
      }),
      // A worker asked for and not created yet is white: outline it.
      Plot.barX(
        visible.filter((s) => s.state === 'requested'),
        { y: 'lane', x1: 'x1', x2: 'x2', stroke: '#999', strokeWidth: 0.5, inset: 0.5 },
      ),
      ...markLayers(Plot, o.marks ?? []),
    ],
  });
  asImage(
    chart,
    `${d.label}: ${lanes.length} lanes, ${o.domain[0].toFixed(0)} to ${o.domain[1].toFixed(0)} ms`,
  );
  const area = h('div', { class: 'chart-area' });
  area.append(chart);
  const names = h('ul', { class: 'visually-hidden', 'aria-label': `${d.label} lanes` });
  names.append(...lanes.map((l) => h('li', {}, l)));
  const root = h(
    'figure',
    { class: o.workers ? 'timeline-lanes detail' : 'timeline-lanes' },
    o.legend === false ? null : laneLegend(Plot, states),
    o.workers
      ? h(
          'div',
          // Scrolled by keyboard too: it can be focused.
          {
            class: 'lane-scroll',
            tabindex: 0,
            role: 'group',
            'aria-label': `${d.label}, every lane`,
          },
          area,
        )
      : area,
    names,
  );
  root.dataset.lanes = String(lanes.length);
  const xs = chart.scale('x');
  const ys = chart.scale('y');
  return {
    root,
    area,
    x: (ms) => xs?.apply(Math.min(hi, Math.max(lo, ms))) ?? 0,
    lane: (name) => {
      const top = ys?.apply(name);
      return top === undefined || !ys?.bandwidth ? undefined : { top, height: ys.bandwidth };
    },
  };
}

const POOL_SERIES = ['workers started', 'workers owed, not started yet'] as const;
const POOL_COLORS = ['#3f7f5f', '#c9c9c9'];

/** The pool over the window: workers started, and workers owed or being born (stacked). */
export function poolChart(Plot: PlotModule, d: TimelineData, o: ChartOptions): HTMLElement {
  const most = Math.max(1, ...d.workers.map((w) => w.started + w.owed));
  const series = d.workers.flatMap((w) => [
    { x: w.x, series: POOL_SERIES[0], value: w.started },
    { x: w.x, series: POOL_SERIES[1], value: w.owed },
  ]);
  const color = { domain: [...POOL_SERIES], range: POOL_COLORS };
  const chart = Plot.plot({
    width: o.width,
    height: 96,
    marginLeft: 84,
    marginTop: 8,
    style: { fontSize: `${LABEL_PX}px` },
    x: { domain: o.domain, label: null, clamp: true },
    y: { label: null, grid: true, ticks: 3, domain: [0, most] },
    color,
    marks: [
      Plot.areaY(series, {
        x: 'x',
        y: 'value',
        fill: 'series',
        curve: 'step-after',
        clip: true,
        order: [...POOL_SERIES],
      }),
      ...markLayers(Plot, o.marks ?? []),
    ],
  });
  asImage(chart, `${d.label}: pool workers started and owed over time`);
  return h(
    'figure',
    { class: 'timeline-pool' },
    Plot.legend({ color, swatchSize: 11, style: { fontSize: `${LABEL_PX}px` } }),
    chart,
  );
}

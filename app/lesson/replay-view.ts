// Step through one trial: a playhead moves over the recorded timeline from event to event, with
// one plain caption each (app/lesson/replay-events.ts) — play, pause, step either way, speed.
// The events are the trial's own measurements, not an animation. Below: the source of the
// functions that make the difference, cut from this build, and the trial's trace to download.

import { chromeTrace } from '../shared/trace/chrome-trace.ts';
import type { MachineTrace } from '../shared/trace/trace.ts';
import { h } from '../dom.ts';
import { saveBlob } from '../images/download.ts';
import { timelineData, type TimelineData } from '../ui/timeline-data.ts';
import { lanesChart, type DrawnChart, type PlotModule } from '../ui/timeline-chart.ts';
import { lessonExcerpts } from './excerpts.ts';
import { fmtMs } from './headline.ts';
import type { LessonTrial } from './lesson-view.ts';
import { replayEvents, type ReplayEvent } from './replay-events.ts';

/** A caption's time on screen at 1× (ms). */
const STEP_MS = 1800;
const SPEEDS = ['0.5', '1', '2', '4'] as const;
const ZOOMS = [
  ['burst', 'the burst'],
  ['20', 'the first 20 ms'],
  ['all', 'the whole window'],
] as const;

interface Shown {
  policy: 'inline' | 'bh';
  trace: MachineTrace;
  data: TimelineData;
  events: ReplayEvent[];
  burstDoneMs: number;
}

export class ReplayView {
  readonly root: HTMLElement;
  private trial: LessonTrial | undefined;
  private shown: Shown | undefined;
  private chart: DrawnChart | undefined;
  private at = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly policy = h('select', { name: 'replayPolicy' });
  private readonly zoom = h('select', { name: 'replayZoom' });
  private readonly speed = h('select', { name: 'replaySpeed' });
  private readonly restart = h('button', { type: 'button' }, 'Restart');
  private readonly back = h('button', { type: 'button' }, 'Step back');
  private readonly play = h('button', { type: 'button', class: 'primary' }, 'Play');
  private readonly forward = h('button', { type: 'button' }, 'Step');
  private readonly download = h('button', { type: 'button' }, 'Download trace');
  private readonly when = h('span', { class: 'when' });
  private readonly caption = h('span', {});
  private readonly count = h('p', { class: 'hint', 'aria-label': 'replay position' });
  private readonly figure = h('div', { class: 'replay-chart' });
  private readonly playhead = h('div', { class: 'playhead', 'aria-hidden': 'true' });
  private readonly dot = h('div', { class: 'event-dot', 'aria-hidden': 'true' });
  private readonly code = h('div', { class: 'replay-code' });

  constructor() {
    this.policy.append(
      h('option', { value: 'inline' }, 'before the patch: inline'),
      h('option', { value: 'bh' }, 'with the patch: bh'),
    );
    for (const [value, text] of ZOOMS) this.zoom.append(h('option', { value }, text));
    for (const s of SPEEDS) this.speed.append(h('option', { value: s }, `${s}×`));
    this.speed.value = '1';
    this.policy.addEventListener('change', () => void this.choose());
    this.zoom.addEventListener('change', () => void this.draw());
    this.restart.addEventListener('click', () => this.go(0));
    this.back.addEventListener('click', () => this.go(this.at - 1));
    this.forward.addEventListener('click', () => this.go(this.at + 1));
    this.play.addEventListener('click', () => (this.timer ? this.pause() : this.resume()));
    this.download.addEventListener('click', () => this.save());
    this.root = h(
      'section',
      { class: 'panel replay', 'aria-labelledby': 'replay-title', hidden: true },
      h('h2', { id: 'replay-title' }, 'Step through one trial'),
      h(
        'p',
        {},
        'The first trial again, event by event, as it was recorded: the playhead moves along ' +
          'its timeline and the line under the buttons says what happened. Each row is a ' +
          'thread: the vCPUs, the main thread, and every pool worker with who created it.',
      ),
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'Trial ', this.policy),
        this.restart,
        this.back,
        this.play,
        this.forward,
        h('label', {}, 'Speed ', this.speed),
        h('label', {}, 'Show ', this.zoom),
        this.download,
      ),
      h(
        'p',
        { class: 'caption', 'aria-live': 'polite', 'aria-atomic': 'true' },
        this.when,
        this.caption,
      ),
      this.count,
      this.figure,
      h('details', {}, h('summary', {}, 'The functions that make the difference'), this.code),
    );
  }

  /** Replay this trial (the lesson's first one of each policy). */
  async show(trial: LessonTrial): Promise<void> {
    this.trial = trial;
    this.root.hidden = false;
    await Promise.all([this.choose(), this.showCode()]);
  }

  private async choose(): Promise<void> {
    const t = this.trial;
    if (!t) return;
    this.pause();
    const policy = this.policy.value === 'bh' ? 'bh' : 'inline';
    const { run, trace } = t[policy];
    this.shown = {
      policy,
      trace,
      data: timelineData(trace),
      events: replayEvents(trace),
      burstDoneMs: run.times.burstCompleteMs,
    };
    this.at = 0;
    await this.draw();
  }

  private domain(s: Shown): [number, number] {
    if (this.zoom.value === '20') return [-0.5, 20];
    if (this.zoom.value === 'all') return [s.data.x1, s.data.x2];
    return [-0.02 * s.burstDoneMs, 1.1 * s.burstDoneMs];
  }

  private async draw(): Promise<void> {
    const s = this.shown;
    if (!s) return;
    const Plot: PlotModule = await import('@observablehq/plot');
    const width = Math.min(1160, Math.max(600, this.figure.clientWidth || 1100));
    this.chart = lanesChart(Plot, s.data, {
      domain: this.domain(s),
      width,
      workers: true,
      marks: [{ x: s.burstDoneMs, label: `all answered: ${fmtMs(s.burstDoneMs)}` }],
    });
    this.chart.area.append(this.playhead, this.dot);
    this.figure.replaceChildren(this.chart.root);
    this.go(this.at);
  }

  /** Move to event `i` (clamped): the playhead, the dot on its lane, the caption. */
  private go(i: number): void {
    const s = this.shown;
    const chart = this.chart;
    if (!s || !chart || s.events.length === 0) return;
    this.at = Math.max(0, Math.min(s.events.length - 1, i));
    const e = s.events[this.at];
    const x = chart.x(e.t);
    this.playhead.style.left = `${x}px`;
    const band = chart.lane(e.lane);
    this.dot.hidden = !band;
    if (band) {
      this.dot.style.left = `${x}px`;
      this.dot.style.top = `${band.top + band.height / 2}px`;
      this.keepInView(band.top, band.height);
    }
    const [lo, hi] = this.domain(s);
    const outside = e.t < lo || e.t > hi ? ' (outside the window shown)' : '';
    this.when.textContent = `At ${fmtMs(e.t)}${outside}: `;
    this.caption.textContent = e.caption;
    this.count.textContent =
      `Event ${this.at + 1} of ${s.events.length}, ${s.policy}. The dashed line is the doorbell; ` +
      `the black one, all of vCPU 0's requests answered (${fmtMs(s.burstDoneMs)}).`;
    this.back.toggleAttribute('aria-disabled', this.at === 0);
    this.forward.toggleAttribute('aria-disabled', this.at === s.events.length - 1);
  }

  /** Scroll the lanes (not the page) so that the current lane is visible. */
  private keepInView(top: number, height: number): void {
    const box = this.chart?.root.querySelector<HTMLElement>('.lane-scroll');
    if (!box) return;
    if (top < box.scrollTop) box.scrollTop = Math.max(0, top - height);
    else if (top + height > box.scrollTop + box.clientHeight) {
      box.scrollTop = top + 2 * height - box.clientHeight;
    }
  }

  private resume(): void {
    const s = this.shown;
    if (!s) return;
    if (this.at >= s.events.length - 1) this.go(0);
    this.play.textContent = 'Pause';
    const tick = () => {
      if (!this.shown || this.at >= this.shown.events.length - 1) {
        this.pause();
        return;
      }
      this.go(this.at + 1);
      this.timer = setTimeout(tick, STEP_MS / Number(this.speed.value));
    };
    this.timer = setTimeout(tick, STEP_MS / Number(this.speed.value));
  }

  private pause(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.play.textContent = 'Play';
  }

  private async showCode(): Promise<void> {
    if (this.code.childElementCount > 0) return;
    const cut = await lessonExcerpts();
    this.code.append(
      h('p', { class: 'hint' }, 'From this repository, as this page was built:'),
      ...cut.flatMap(([f, text]) => [
        h('h3', { id: `fn-${f.name}` }, `${f.name}, in ${f.file} — ${f.qemu}: ${f.role}`),
        h('pre', {}, h('code', {}, text)),
      ]),
    );
  }

  /** Both policies' traces of the trial as one Chrome trace-event file (Perfetto UI). */
  traceFile(): string {
    const t = this.trial;
    return JSON.stringify(chromeTrace(t ? [t.inline.trace, t.bh.trace] : []));
  }

  private save(): void {
    saveBlob(new Blob([this.traceFile()], { type: 'application/json' }), 'webaio-trace.json');
  }
}

// The first screen: what the page shows in two plain sentences, one action — "Show me" — and its
// answer: a sentence with the measured numbers and the two trials' timelines side by side.
// "Show me" runs the smallest comparison that makes the point (one `inline` and one `bh` burst,
// batched kick); further trials then refine the figures in the background, and the sentence
// always says how many trials it rests on.

import type { ColdBurstRun } from '../../bench/shared/cold-burst-params.ts';
import { h } from '../dom.ts';
import { setBusy } from '../ui/busy.ts';
import type { MachineTrace } from '../shared/trace/trace.ts';
import { timelineData } from '../ui/timeline-data.ts';
import {
  laneLegend,
  lanesChart,
  poolChart,
  type ChartMark,
  type PlotModule,
} from '../ui/timeline-chart.ts';
import type { WebAio } from '../webaio.ts';
import { glossary, term } from './glossary.ts';
import { figuresOf, fmtMs, headline } from './headline.ts';

/** Trials of each policy "Show me" runs in all: the first answers, the others refine. */
export const LESSON_TRIALS = 5;
/** The burst, as the benchmark's cold-burst defaults have it. */
const BURST = 64;
/** The light vCPUs' runtime in each trial (the burst itself is not time-based). */
const RUNTIME_MS = 500;
export const LESSON_IMAGE_PREFIX = 'lesson-';

/** One trial of each policy, recorded: what the replay and the benchmark details show. */
export interface LessonTrial {
  inline: { run: ColdBurstRun; trace: MachineTrace };
  bh: { run: ColdBurstRun; trace: MachineTrace };
}

export interface LessonHooks {
  /** Stop the demo machine for a clean measurement; returns what starts it again. */
  pauseDemo(): Promise<() => Promise<void>>;
  /** The first trial of each policy, once measured. */
  trial(t: LessonTrial): void;
  /** Every run so far (each policy's trials), after each round. */
  runs(runs: readonly ColdBurstRun[]): void;
}

const WHAT_TO_DO =
  'What to do: close other busy tabs or programs and press "Show me" again; if it keeps ' +
  'failing, reload the page (the browser console may say more).';

export class LessonView {
  readonly root: HTMLElement;
  private readonly webaio: WebAio;
  private readonly hooks: LessonHooks;
  private readonly showMe = h('button', { type: 'button', class: 'primary' }, 'Show me');
  private readonly stopButton = h('button', { type: 'button', hidden: true }, 'Stop refining');
  private readonly status = h('p', { role: 'status', class: 'lesson-status' });
  private readonly answer = h('p', { class: 'headline', 'aria-live': 'polite' });
  private readonly detail = h('p', { class: 'headline-detail' });
  private readonly charts = h(
    'div',
    { class: 'lesson-charts' },
    h(
      'p',
      { class: 'placeholder' },
      'The answer appears here in about ten seconds: the two trials side by side on one time ' +
        'scale, before the patch on the left, with it on the right.',
    ),
  );
  private running = false;
  private stopRequested = false;
  private first: LessonTrial | undefined;

  constructor(webaio: WebAio, hooks: LessonHooks) {
    this.webaio = webaio;
    this.hooks = hooks;
    this.showMe.addEventListener('click', () => void this.run());
    this.stopButton.addEventListener('click', () => {
      this.stopRequested = true;
      this.say('Stopping after this trial…');
    });
    this.root = h(
      'section',
      { class: 'lesson', 'aria-labelledby': 'lesson-title' },
      h(
        'div',
        { class: 'lesson-main' },
        h('h2', { id: 'lesson-title' }, 'Who should create the disk’s helper threads?'),
        h(
          'p',
          { class: 'intro' },
          'This page runs a small virtual machine in your browser. Its ',
          term('vcpu'),
          ' 0 asks the disk for 64 blocks at once, and a pool of ',
          term('worker', 'helper threads'),
          ', empty at first, reads them. In QEMU before a 2011 patch, the vCPU created those ' +
            'helpers itself, inside its ',
          term('exit'),
          ' and holding the ',
          term('bql', 'big lock'),
          '; with the patch the ',
          term('main', 'main thread'),
          ' creates them, one per ',
          term('bh', 'bottom half'),
          '. Press the button to measure both here.',
        ),
        h('div', { class: 'controls' }, this.showMe, this.stopButton, this.status),
        this.answer,
        this.detail,
        this.charts,
      ),
      glossary(),
    );
  }

  private say(line: string): void {
    this.status.textContent = line;
  }

  /** Show me: the first trial of each policy answers; the others refine in the background. */
  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopRequested = false;
    setBusy(this.showMe, true);
    const runs: ColdBurstRun[] = [];
    this.say('Measuring: a fresh machine for each policy…');
    let resume: (() => Promise<void>) | undefined;
    try {
      resume = await this.hooks.pauseDemo();
      for (let round = 1; round <= LESSON_TRIALS && !this.stopRequested; round++) {
        this.say(
          round === 1
            ? 'Measuring: inline, then bh, each on a fresh machine with an empty pool…'
            : `Refining: trial ${round} of ${LESSON_TRIALS} of each policy…`,
        );
        if (round === 2) this.stopButton.hidden = false;
        // Alternate which policy goes first, so neither always meets a warmer browser.
        const policies = round % 2 ? (['inline', 'bh'] as const) : (['bh', 'inline'] as const);
        const r = await this.webaio.bench.coldBurst({
          policies: [...policies],
          kicks: ['batch'],
          trials: 1,
          stopVariant: false,
          trace: round === 1,
          burst: BURST,
          runtimeMs: RUNTIME_MS,
          imagePrefix: LESSON_IMAGE_PREFIX,
        });
        runs.push(...r.runs);
        if (round === 1) await this.showFirst(r.runs);
        this.showAnswer(runs);
        this.hooks.runs(runs);
      }
      const n = Math.min(
        ...['inline', 'bh'].map((v) => runs.filter((r) => r.variant === v).length),
      );
      this.say(
        `Done: ${n} trial${n === 1 ? '' : 's'} of each policy. Step through one below, or ` +
          'press "Show me" again for new ones.',
      );
    } catch (e) {
      this.say(`The comparison failed: ${(e as Error).message}. ${WHAT_TO_DO}`);
    } finally {
      this.stopButton.hidden = true;
      setBusy(this.showMe, false);
      this.running = false;
      await resume?.().catch((e: unknown) =>
        console.warn(`the demo machine did not start again: ${(e as Error).message}`),
      );
    }
  }

  private showAnswer(runs: readonly ColdBurstRun[]): void {
    const inline = figuresOf(runs, 'inline', BURST);
    const bh = figuresOf(runs, 'bh', BURST);
    if (!inline || !bh) return;
    const { sentence, detail } = headline(inline, bh);
    this.answer.textContent = sentence;
    this.detail.textContent = detail;
  }

  /** The first trial's two timelines, side by side on one scale, and the replay's input. */
  private async showFirst(runs: readonly ColdBurstRun[]): Promise<void> {
    const of = (v: 'inline' | 'bh') => {
      const run = runs.find((r) => r.variant === v && r.trace);
      return run?.trace ? { run, trace: run.trace } : undefined;
    };
    const inline = of('inline');
    const bh = of('bh');
    if (!inline || !bh) return;
    this.first = { inline, bh };
    this.hooks.trial(this.first);
    await this.drawFirst();
  }

  private async drawFirst(): Promise<void> {
    const first = this.first;
    if (!first) return;
    const Plot: PlotModule = await import('@observablehq/plot');
    const sides = [
      { title: 'Before the patch: inline', ...first.inline },
      { title: 'With the patch: bh', ...first.bh },
    ];
    const end = Math.max(...sides.map((s) => s.run.times.burstCompleteMs));
    const domain: [number, number] = [-0.02 * end, 1.12 * end];
    const width = Math.max(320, Math.floor((this.charts.clientWidth || 860) / 2) - 12);
    const states = [
      'BQL wait',
      'in exit, BQL held',
      'halted',
      'new_thread_bh',
      'completion_bh',
    ] as const;
    this.charts.replaceChildren(
      h('div', { class: 'lesson-legend' }, laneLegend(Plot, states)),
      ...sides.map((s) => {
        const d = timelineData(s.trace);
        const hold = s.run.burstExits.bqlHoldUs / 1000;
        const marks: ChartMark[] = [
          {
            x: s.run.times.burstCompleteMs,
            label: `all answered: ${fmtMs(s.run.times.burstCompleteMs)}`,
          },
        ];
        return h(
          'div',
          { class: 'lesson-side' },
          h('h3', {}, s.title),
          h(
            'p',
            { class: 'hint' },
            `vCPU 0 held the big lock ${fmtMs(hold)}; all 64 reads answered at ` +
              `${fmtMs(s.run.times.burstCompleteMs)} (the black line).`,
          ),
          lanesChart(Plot, d, { domain, width, marks, workers: false, legend: false }).root,
          poolChart(Plot, d, { domain, width, marks }),
        );
      }),
    );
  }
}

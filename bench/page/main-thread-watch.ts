// How busy the page's main thread was during a measurement, seen two ways: Chromium's own
// long-task entries (tasks over 50 ms), and a heartbeat that notes the longest time between two
// of its beats. The heartbeat alternates a MessageChannel message and a 1 ms timer, so timers
// never nest deep enough to be clamped to 4 ms and the thread still idles between beats.

import { nowMs } from '../../app/shared/sync/clock.ts';
import type { MainThreadReport } from '../shared/cold-burst-params.ts';

export class MainThreadWatch {
  private readonly onBeat: (() => void) | undefined;
  private readonly channel = new MessageChannel();
  private observer: PerformanceObserver | undefined;
  private readonly longTasks: number[] = [];
  private t0 = 0;
  private last = 0;
  private maxGap = 0;
  private beats = 0;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `onBeat` runs on every beat (a sampler of shared counters, say): keep it short. */
  constructor(onBeat?: () => void) {
    this.onBeat = onBeat;
  }

  static get longTaskSupported(): boolean {
    return PerformanceObserver.supportedEntryTypes.includes('longtask');
  }

  start(): void {
    this.t0 = nowMs();
    this.last = this.t0;
    this.running = true;
    if (MainThreadWatch.longTaskSupported) {
      this.observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.startTime >= this.t0) this.longTasks.push(entry.duration);
        }
      });
      this.observer.observe({ type: 'longtask' });
    }
    this.channel.port1.onmessage = () => this.beat();
    this.channel.port2.postMessage(0);
  }

  private beat(): void {
    const now = nowMs();
    this.maxGap = Math.max(this.maxGap, now - this.last);
    this.last = now;
    this.beats++;
    this.onBeat?.();
    if (!this.running) return;
    this.timer = setTimeout(() => this.channel.port2.postMessage(0), 1);
  }

  stop(): MainThreadReport {
    this.running = false;
    clearTimeout(this.timer);
    // Entries Chromium has queued but not delivered yet.
    for (const entry of this.observer?.takeRecords() ?? []) {
      if (entry.startTime >= this.t0) this.longTasks.push(entry.duration);
    }
    this.observer?.disconnect();
    this.channel.port1.onmessage = null;
    this.channel.port1.close();
    const now = nowMs();
    return {
      longTaskSupported: this.observer !== undefined,
      longTasks: this.longTasks.length,
      longestTaskMs: Math.max(0, ...this.longTasks),
      heartbeatMaxGapMs: Math.max(this.maxGap, now - this.last),
      heartbeats: this.beats,
      windowMs: now - this.t0,
    };
  }
}

// The live machine: controls (start/stop, vCPUs, policy, max threads, AIO path), and — redrawn
// several times a second from machine.stats() — the pool's counters and worker lanes, the disk's
// IOPS, bandwidth, latency and transactions, and each vCPU's state, stall and verify errors.

import { h } from '../dom.ts';
import { isBusy, setBusy } from './busy.ts';
import type { Machine } from '../machine/machine.ts';
import type { MachineStats } from '../machine/machine-stats.ts';
import { POOL_POLICIES, type PoolPolicyName } from '../shared/pool/pool-config.ts';
import { POOL_MAX_THREADS } from '../shared/pool/pool-layout.ts';
import { MAX_VCPUS } from '../shared/machine/vcpu-layout.ts';
import { AIO_MODES, AIO_OF_MODE, type AioMode, type DemoSettings } from '../demo.ts';
import { fmtUs } from './format.ts';
import { PoolFigures } from './pool-figures.ts';

export interface MachineViewHooks {
  /** Build (or rebuild) the machine for these settings. */
  rebuild(settings: DemoSettings): Promise<void>;
}

const REFRESH_MS = 250;

function labelled(label: string, control: HTMLElement): HTMLLabelElement {
  return h('label', {}, `${label} `, control);
}

export class MachineView {
  readonly root: HTMLElement;
  private machine: Machine | undefined;
  private settings: DemoSettings;
  private readonly hooks: MachineViewHooks;
  private readonly status = h(
    'p',
    { role: 'status', 'aria-label': 'machine status' },
    'No machine yet.',
  );
  private readonly startStop = h('button', { type: 'button' }, 'Start');
  private readonly vcpusSelect = h('select', { name: 'vcpus' });
  private readonly policySelect = h('select', { name: 'policy' });
  private readonly maxThreadsInput = h('input', {
    type: 'number',
    name: 'maxThreads',
    min: 1,
    max: POOL_MAX_THREADS,
  });
  private readonly aioSelect = h('select', { name: 'aio' });
  private readonly apply = h('button', { type: 'button' }, 'Apply');
  private readonly figures = new PoolFigures();
  private readonly vcpuTable = h('table', { 'aria-label': 'vCPUs', class: 'grid' });
  private timer: ReturnType<typeof setInterval> | undefined;
  private toggling = false;

  constructor(settings: DemoSettings, hooks: MachineViewHooks) {
    this.settings = settings;
    this.hooks = hooks;
    for (let n = 1; n <= MAX_VCPUS; n++)
      this.vcpusSelect.append(h('option', { value: n }, String(n)));
    for (const p of POOL_POLICIES) this.policySelect.append(h('option', { value: p }, p));
    for (const a of AIO_MODES) this.aioSelect.append(h('option', { value: a }, a));
    this.showSettings();
    this.startStop.addEventListener('click', () => void this.toggle());
    this.apply.addEventListener('click', () => void this.applySettings());
    this.root = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'machine-title' },
      h('h2', { id: 'machine-title' }, 'Machine'),
      h(
        'p',
        { class: 'hint' },
        'Policies: bh — the patch: the main thread creates pool workers, one per bottom-half run, ' +
          'each newborn asking for the next; prealloc — bh plus minThreads workers created up front ' +
          '(QEMU 7.1); inline — before the patch: the vCPU that needs a worker creates it, holding ' +
          'the pool lock and the BQL; in a browser those workers are owned by that vCPU, cannot ' +
          'start until it yields, and die with it. AIO path: batched — a worker runs up to 32 ' +
          'queued requests in one IndexedDB transaction, the device merges adjacent ones, writes ' +
          'go to a page cache that a flush writes back durably, idle workers poll briefly before ' +
          'sleeping; faithful — one request per transaction, as QEMU runs one preadv per request.',
      ),
      h(
        'div',
        { class: 'controls' },
        this.startStop,
        labelled('vCPUs', this.vcpusSelect),
        labelled('Policy', this.policySelect),
        labelled('Max threads', this.maxThreadsInput),
        labelled('AIO path', this.aioSelect),
        this.apply,
      ),
      this.status,
      h('div', { class: 'columns' }, this.figures.pool, this.figures.disk),
      h('h3', {}, 'Pool workers'),
      h(
        'p',
        { class: 'hint' },
        'One box per worker, coloured by state; the letter says who created it (M: main thread, 0–15: that vCPU).',
      ),
      this.figures.lanes,
      h('h3', {}, 'vCPUs'),
      this.vcpuTable,
    );
  }

  private showSettings(): void {
    this.vcpusSelect.value = String(this.settings.vcpus);
    this.policySelect.value = this.settings.policy;
    this.maxThreadsInput.value = String(this.settings.maxThreads);
    this.aioSelect.value = this.settings.aio;
  }

  /** Settings changed elsewhere (the disk manager booted another image). */
  useSettings(settings: DemoSettings): void {
    this.settings = settings;
    this.showSettings();
  }

  /** Show a machine (or none), and keep it redrawn. */
  attach(machine: Machine | undefined, message?: string): void {
    this.machine = machine;
    this.figures.reset();
    clearInterval(this.timer);
    if (machine) this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.refresh();
    if (message) this.status.textContent = message;
  }

  say(message: string): void {
    this.status.textContent = message;
  }

  private async toggle(): Promise<void> {
    const m = this.machine;
    if (!m || this.toggling) return;
    this.toggling = true;
    setBusy(this.startStop, true);
    try {
      if (m.vcpus.some((v) => v.isRunning)) {
        await m.stop();
        this.say('Stopped. Requests in flight still complete.');
      } else {
        await m.start();
        this.say('Running.');
      }
    } catch (e) {
      this.say(`Error: ${(e as Error).message}`);
    } finally {
      this.toggling = false;
      this.refresh();
    }
  }

  private async applySettings(): Promise<void> {
    const maxThreads = Number(this.maxThreadsInput.value);
    const next: DemoSettings = {
      ...this.settings,
      vcpus: Number(this.vcpusSelect.value),
      policy: this.policySelect.value as PoolPolicyName,
      maxThreads,
      aio: this.aioSelect.value as AioMode,
    };
    if (isBusy(this.apply)) return;
    setBusy(this.apply, true);
    try {
      const m = this.machine;
      const aio = AIO_OF_MODE[next.aio];
      // The page cache is chosen when the image is opened: switching it means a new machine.
      if (m && next.vcpus === this.settings.vcpus && aio.pageCache === m.aioConfig.pageCache) {
        await m.setPool({ policy: next.policy, maxThreads: next.maxThreads });
        const { pageCache: _, ...atRunTime } = aio;
        m.setAio(atRunTime);
        this.settings = next;
        this.say(`Pool set to ${next.policy}, max ${next.maxThreads} threads; AIO ${next.aio}.`);
      } else {
        this.settings = next;
        await this.hooks.rebuild(next);
      }
    } catch (e) {
      this.say(`Error: ${(e as Error).message}`);
      this.showSettings();
    } finally {
      setBusy(this.apply, false);
    }
  }

  private refresh(): void {
    const m = this.machine;
    setBusy(this.startStop, !m || this.toggling);
    if (!m) return;
    // While a stop or a start is under way the label keeps naming what was pressed: it flips
    // only when the button can act again, so what it says is what Enter will do.
    const running = m.vcpus.some((v) => v.isRunning);
    if (!this.toggling) this.startStop.textContent = running ? 'Stop' : 'Start';
    const s = m.stats();
    this.figures.update(s);
    this.drawVcpus(s);
  }

  private drawVcpus(s: MachineStats): void {
    const head = h(
      'tr',
      {},
      ...[
        'vCPU',
        'guest',
        'state',
        'requests',
        'exits',
        'requests / exit',
        'stall p50',
        'stall p99',
        'BQL wait p99',
        'verify errors',
      ].map((t) => h('th', { scope: 'col' }, t)),
    );
    const rows = s.vcpus.map((v) =>
      h(
        'tr',
        { 'data-vcpu': v.vcpu },
        h('td', {}, String(v.vcpu)),
        h('td', {}, v.job ?? '—'),
        h('td', { class: `state ${v.state}`, 'data-state': v.state }, v.state),
        h('td', {}, String(v.counters.guestIos)),
        h('td', {}, String(v.counters.exits)),
        h(
          'td',
          { 'data-stat': 'requests-per-exit' },
          v.counters.exits > 0 ? (v.counters.popped / v.counters.exits).toFixed(1) : '—',
        ),
        h('td', {}, fmtUs(v.stall.p50)),
        h('td', {}, fmtUs(v.stall.p99)),
        h('td', {}, fmtUs(v.bqlWait.p99)),
        h('td', { 'data-stat': 'verify-errors' }, String(v.counters.verifyErrors)),
      ),
    );
    this.vcpuTable.replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
  }
}

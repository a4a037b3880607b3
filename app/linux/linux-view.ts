// The "Linux" panel: boot a real guest (Linux in v86) on any image of the Disks panel (its menu,
// linux-image-menu.ts), a terminal on its serial console (xterm.js, loaded on first boot), Stop,
// Reset and the trace, what it shows of the machine beside them (linux-readout.ts), and the
// sources of the guest's binaries.

import { h } from '../dom.ts';
import { saveBlob } from '../images/download.ts';
import { isBusy, setBusy } from '../ui/busy.ts';
import type { TraceRecorder } from '../machine/trace-recorder.ts';
import { chromeTrace } from '../shared/trace/chrome-trace.ts';
import type { WebAio } from '../webaio.ts';
import { guestFiles } from './guest-files.ts';
import { DEFAULT_LINUX_DISK_MODE, type LinuxDiskMode } from './linux-config.ts';
import { LinuxImageMenu } from './linux-image-menu.ts';
import type { LinuxMachine } from './linux-machine.ts';
import { LinuxReadout } from './linux-readout.ts';

const REFRESH_MS = 500;

/** The page's hooks: the one Linux machine it shows, kept in window.webaio.linux. */
export interface LinuxViewHooks {
  /** The Disks panel's list changed (an image is taken or freed). */
  imagesChanged(): void;
}

type TerminalLike = { write(data: Uint8Array): void; focus(): void; dispose(): void };

export class LinuxView {
  readonly root: HTMLElement;
  private readonly webaio: WebAio;
  private readonly hooks: LinuxViewHooks;
  private readonly images: LinuxImageMenu;
  private readonly modeSelect = h('select', { name: 'linuxMode' });
  private readonly bootButton = h('button', { type: 'button', class: 'primary' }, 'Boot');
  private readonly stopButton = h(
    'button',
    { type: 'button', 'aria-disabled': 'true' },
    'Shut down',
  );
  private readonly resetButton = h('button', { type: 'button', 'aria-disabled': 'true' }, 'Reset');
  private readonly traceButton = h(
    'button',
    { type: 'button', 'aria-disabled': 'true' },
    'Record trace',
  );
  private recorder: TraceRecorder | undefined;
  private readonly readout = new LinuxReadout();
  private readonly screen = h('div', {
    class: 'terminal',
    role: 'region',
    'aria-label': 'Linux serial console',
  });
  private readonly sources = h('ul', { class: 'hint' });
  private terminal: TerminalLike | undefined;
  private unlisten: (() => void)[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  /** Why Linux cannot boot here (the guest is not built), if it cannot. */
  private unavailable: string | undefined;

  constructor(webaio: WebAio, hooks: LinuxViewHooks) {
    this.webaio = webaio;
    this.hooks = hooks;
    this.images = new LinuxImageMenu(webaio);
    for (const mode of ['writeback', 'writethrough'] as const) {
      this.modeSelect.append(
        h('option', { value: mode, selected: mode === DEFAULT_LINUX_DISK_MODE }, mode),
      );
    }
    // A button that cannot act now is aria-disabled, not disabled: it keeps the keyboard focus.
    const on = (b: HTMLButtonElement, act: () => unknown) =>
      b.addEventListener('click', () => {
        if (!isBusy(b)) void act();
      });
    on(this.bootButton, () => this.boot(this.images.value));
    on(this.stopButton, () => this.stop());
    on(this.resetButton, () => this.reset());
    on(this.traceButton, () => this.toggleTrace());
    this.root = h(
      'section',
      { class: 'panel linux', 'aria-labelledby': 'linux-title' },
      h('h2', { id: 'linux-title' }, 'Linux'),
      h(
        'p',
        { class: 'hint' },
        "A real guest: Debian's Linux 6.1 (i386) in v86, on a worker of its own. Its hard disk is " +
          'an image of the Disks panel, served by the same AIO pool as the toy machine. A blank ' +
          'image is formatted (ext4) on first boot and mounted on /mnt. In writeback mode the disk ' +
          'has a write cache and the guest\u2019s sync flushes it, as on a PC: what sync covered ' +
          'survives a reload, a crash or a power cut. Shut down asks the guest to unmount and power off.',
      ),
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'Image ', this.images.select),
        h('label', {}, 'Disk mode ', this.modeSelect),
        this.bootButton,
        this.stopButton,
        this.resetButton,
        this.traceButton,
      ),
      this.readout.status,
      this.readout.failure,
      h(
        'div',
        { class: 'linux-columns' },
        this.screen,
        h('div', { class: 'linux-figures' }, this.readout.figures.pool, this.readout.figures.disk),
      ),
      h('h3', {}, 'Pool workers'),
      this.readout.figures.lanes,
      this.readout.thread,
      h('details', {}, h('summary', {}, 'The guest\u2019s software and its sources'), this.sources),
    );
    void this.showSources();
  }

  /** Boot on `image` (the Disks panel's "Boot Linux" too); stops the machine shown before. */
  async boot(image: string): Promise<void> {
    if (this.busy || !image) return;
    this.busy = true;
    setBusy(this.bootButton, true);
    try {
      await this.webaio.linux?.destroy();
      this.detach();
      this.images.choose(image);
      const mode = this.modeSelect.value as LinuxDiskMode;
      await this.images.ensure(image, (text) => this.say(text));
      this.say(`Starting v86 on "${image}" (${mode})…`);
      const terminal = await this.ensureTerminal();
      const m = await this.webaio.createLinux({ image, mode });
      this.webaio.linux = m;
      this.attach(m, terminal);
      terminal.focus();
      this.screen.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      this.say(`Could not boot on "${image}": ${(e as Error).message}`);
    } finally {
      this.busy = false;
      this.refresh();
      this.hooks.imagesChanged();
    }
  }

  private async stop(): Promise<void> {
    const m = this.webaio.linux;
    if (!m || this.busy) return;
    this.busy = true;
    setBusy(this.stopButton, true);
    this.say('Shutting the guest down…');
    try {
      await m.destroy();
      this.say(`Off. "${m.image}" is free again (export it from the Disks panel).`);
    } catch (e) {
      this.say(`Error while stopping: ${(e as Error).message}`);
    } finally {
      if (this.webaio.linux === m) this.webaio.linux = undefined;
      this.detach();
      this.busy = false;
      this.refresh();
      this.hooks.imagesChanged();
    }
  }

  private async reset(): Promise<void> {
    try {
      await this.webaio.linux?.reset();
    } catch (e) {
      this.say(`Error: ${(e as Error).message}`);
    }
  }

  /** Record the machine's trace (v86's submissions as vCPU 0's exits, the bottom halves, every
   *  request and worker); a second click saves it as Chrome trace JSON (Perfetto UI). */
  private toggleTrace(): void {
    const m = this.webaio.linux;
    if (!this.recorder) {
      if (!m) return;
      this.recorder = m.startTrace();
      this.traceButton.textContent = 'Save trace';
      return;
    }
    const trace = this.recorder.stop(`Linux on ${m?.image ?? 'its disk'}`);
    this.recorder = undefined;
    this.traceButton.textContent = 'Record trace';
    saveBlob(
      new Blob([JSON.stringify(chromeTrace([trace]))], { type: 'application/json' }),
      'webaio-linux-trace.json',
    );
  }

  private async ensureTerminal(): Promise<TerminalLike> {
    if (this.terminal) return this.terminal;
    // Loaded on first boot: a page that never boots Linux does not fetch it.
    const [{ Terminal }] = await Promise.all([
      import('@xterm/xterm'),
      import('@xterm/xterm/css/xterm.css'),
    ]);
    const term = new Terminal({ convertEol: false, rows: 24, cols: 80, scrollback: 5000 });
    term.open(this.screen);
    term.onData((data) => this.webaio.linux?.console.send(data));
    this.terminal = term;
    return term;
  }

  private attach(m: LinuxMachine, terminal: TerminalLike): void {
    this.readout.figures.reset();
    this.unlisten = [
      m.console.listen((bytes) => terminal.write(bytes)),
      m.onChange(() => this.refresh()),
    ];
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.refresh();
  }

  private detach(): void {
    this.recorder?.stop();
    this.recorder = undefined;
    this.traceButton.textContent = 'Record trace';
    for (const off of this.unlisten) off();
    this.unlisten = [];
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private say(text: string): void {
    this.readout.say(text);
  }

  private refresh(): void {
    const m = this.webaio.linux;
    const running = m !== undefined && m.power !== 'off';
    setBusy(this.bootButton, this.busy || this.unavailable !== undefined);
    setBusy(this.stopButton, this.busy || !running);
    setBusy(this.resetButton, this.busy || m?.power !== 'running');
    setBusy(this.traceButton, this.busy || !running);
    if (!m || this.busy) return;
    this.readout.show(m);
  }

  private async showSources(): Promise<void> {
    try {
      const { manifest } = await guestFiles();
      this.sources.replaceChildren(
        h(
          'li',
          {},
          `Kernel ${manifest.kernelRelease}; built from Debian's packages by npm run guest-assets.`,
        ),
        ...manifest.sources.map((src) =>
          h(
            'li',
            {},
            `${src.name} ${src.version} (${src.license}; in ${src.via.join(', ')}): `,
            h('a', { href: src.snapshotUrl }, 'source'),
            ' · ',
            h('a', { href: src.sourcesUrl }, 'browse'),
          ),
        ),
        h(
          'li',
          {},
          'v86 (BSD-2-Clause), with a patch: ',
          h('a', { href: 'https://github.com/copy/v86' }, 'github.com/copy/v86'),
          ' (patches/v86+0.5.462.patch in this repository).',
        ),
      );
    } catch (e) {
      this.unavailable = (e as Error).message;
      this.say(this.unavailable);
      this.refresh();
    }
  }
}

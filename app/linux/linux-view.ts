// The "Linux" panel: boot a real guest (Linux in v86) on any image of the Disks panel, a terminal
// on its serial console (xterm.js, loaded on first boot), Stop and Reset, the pool's and the
// disk's figures beside it, the requests that failed, and the sources of the guest's binaries.
// Live updates change text in place: the terminal and the controls keep the user's focus.

import { h } from '../dom.ts';
import { saveBlob } from '../images/download.ts';
import { isBusy, setBusy } from '../ui/busy.ts';
import type { TraceRecorder } from '../machine/trace-recorder.ts';
import { chromeTrace } from '../shared/trace/chrome-trace.ts';
import type { ImageInfo } from '../shared/block/image-format.ts';
import { fmtUs } from '../ui/format.ts';
import { PoolFigures } from '../ui/pool-figures.ts';
import type { WebAio } from '../webaio.ts';
import { guestFiles } from './guest-files.ts';
import type { GuestState } from './guest-control.ts';
import { DEFAULT_LINUX_DISK_MODE, type LinuxDiskMode } from './linux-config.ts';
import type { LinuxMachine } from './linux-machine.ts';

const REFRESH_MS = 500;
const IMAGES_MS = 2000;
/** The image the panel offers first: made blank on the first boot, formatted by the guest. */
export const LINUX_IMAGE = 'linux';
const LINUX_IMAGE_BYTES = 256 << 20;

/** What the guest's state means to the person at the terminal. */
const GUEST_SAYS: Record<GuestState, string> = {
  booting: 'the guest is booting',
  ready: '/dev/sda is mounted on /mnt — type at the prompt',
  'no-disk': 'the guest found no disk (see dmesg in the terminal)',
  'no-filesystem':
    'the disk holds no ext2/3/4 filesystem and is not blank, so the guest left it alone ' +
    '(mke2fs -t ext4 /dev/sda formats it)',
  'fsck-failed': 'e2fsck found problems it did not fix: run e2fsck /dev/sda at the prompt',
  'mount-failed': 'mounting /dev/sda failed (see dmesg)',
  'shutting-down': 'the guest is shutting down',
  unmounted: 'the guest unmounted its disk',
};

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
  private readonly imageSelect = h('select', { name: 'linuxImage' });
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
  private readonly status = h('p', { role: 'status', 'aria-label': 'Linux status' }, 'Off.');
  private readonly failure = h('p', { class: 'problem', 'aria-label': 'failed disk requests' });
  private readonly screen = h('div', {
    class: 'terminal',
    role: 'region',
    'aria-label': 'Linux serial console',
  });
  private readonly figures = new PoolFigures('Linux ');
  private readonly thread = h('p', { class: 'hint' });
  private readonly sources = h('ul', { class: 'hint' });
  private terminal: TerminalLike | undefined;
  private unlisten: (() => void)[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private shownImages = '';
  private busy = false;
  /** Why Linux cannot boot here (the guest is not built), if it cannot. */
  private unavailable: string | undefined;

  constructor(webaio: WebAio, hooks: LinuxViewHooks) {
    this.webaio = webaio;
    this.hooks = hooks;
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
    on(this.bootButton, () => this.boot(this.imageSelect.value));
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
        h('label', {}, 'Image ', this.imageSelect),
        h('label', {}, 'Disk mode ', this.modeSelect),
        this.bootButton,
        this.stopButton,
        this.resetButton,
        this.traceButton,
      ),
      this.status,
      this.failure,
      h(
        'div',
        { class: 'linux-columns' },
        this.screen,
        h('div', { class: 'linux-figures' }, this.figures.pool, this.figures.disk),
      ),
      h('h3', {}, 'Pool workers'),
      this.figures.lanes,
      this.thread,
      h('details', {}, h('summary', {}, 'The guest\u2019s software and its sources'), this.sources),
    );
    void this.showSources();
    void this.listImages();
    setInterval(() => void this.listImages(), IMAGES_MS);
  }

  private async listImages(): Promise<void> {
    try {
      this.showImages(await this.webaio.images.list());
    } catch {
      // The Disks panel says why the list failed.
    }
  }

  /** The images: the choices of the image menu (redrawn only when they change), "linux" first
   *  — offered to be made blank when it does not exist yet. */
  private showImages(images: readonly ImageInfo[]): void {
    const names = images.filter((i) => !i.error && !i.importing).map((i) => i.name);
    const fresh = !names.includes(LINUX_IMAGE);
    const key = `${fresh}\n${names.join('\n')}`;
    // Never under the user's hands: a focused menu is redrawn on a later pass.
    if (key === this.shownImages || document.activeElement === this.imageSelect) return;
    this.shownImages = key;
    const chosen = this.imageSelect.value || LINUX_IMAGE;
    const option = (value: string, text = value) =>
      h('option', { value, selected: value === chosen }, text);
    this.imageSelect.replaceChildren(
      ...(fresh ? [option(LINUX_IMAGE, `${LINUX_IMAGE} (new, blank)`)] : []),
      ...names.map((n) => option(n)),
    );
  }

  /** Boot on `image` (the Disks panel's "Boot Linux" too); stops the machine shown before. */
  async boot(image: string): Promise<void> {
    if (this.busy || !image) return;
    this.busy = true;
    setBusy(this.bootButton, true);
    try {
      await this.webaio.linux?.destroy();
      this.detach();
      if ([...this.imageSelect.options].some((o) => o.value === image)) {
        this.imageSelect.value = image;
      }
      const mode = this.modeSelect.value as LinuxDiskMode;
      if (
        image === LINUX_IMAGE &&
        !(await this.webaio.images.list()).some((i) => i.name === image)
      ) {
        this.say(`Creating "${image}", a blank ${LINUX_IMAGE_BYTES >> 20} MiB disk…`);
        await this.webaio.images.create(image, LINUX_IMAGE_BYTES);
      }
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
    this.figures.reset();
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
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  private refresh(): void {
    const m = this.webaio.linux;
    const running = m !== undefined && m.power !== 'off';
    setBusy(this.bootButton, this.busy || this.unavailable !== undefined);
    setBusy(this.stopButton, this.busy || !running);
    setBusy(this.resetButton, this.busy || m?.power !== 'running');
    setBusy(this.traceButton, this.busy || !running);
    if (!m || this.busy) return;
    if (m.power === 'running') {
      this.say(`Running on "${m.image}" (${m.mode}): ${GUEST_SAYS[m.guest]}.`);
    } else if (m.power === 'starting') this.say(`Starting v86 on "${m.image}"…`);
    const last = m.failures.at(-1);
    const failed = last
      ? `${m.failures.length} disk request(s) failed; the guest got an I/O error for each. ` +
        `Last: ${last.message}`
      : '';
    if (this.failure.textContent !== failed) this.failure.textContent = failed;
    const s = m.stats();
    if (!s) return;
    this.figures.update(s);
    const v = s.vcpus[0];
    if (v) {
      const line =
        `v86 thread: ${v.state}; ${v.counters.submitted} requests submitted in ` +
        `${v.counters.exits} exits, stall p50 ${fmtUs(v.stall.p50)}, p99 ${fmtUs(v.stall.p99)}; ` +
        `BQL wait p99 ${fmtUs(v.bqlWait.p99)}; interrupt delivery p50 ${fmtUs(v.irqDelivery.p50)}.`;
      if (this.thread.textContent !== line) this.thread.textContent = line;
    }
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

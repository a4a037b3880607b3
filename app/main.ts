// The page's entry: without cross-origin isolation, have a service worker supply it (one reload)
// or refuse clearly; publish window.webaio; show the lesson first ("Show me", its replay, the
// benchmark's details), then boot the demo machine on the default disk (unless ?boot=0) and show
// it live, with the disks.

import './style.css';
import {
  BASE_OVERLAY,
  BASE_URL,
  DEFAULT_DEMO,
  DEFAULT_IMAGE,
  DEFAULT_IMAGE_BYTES,
  demoMachineConfig,
  demoSettingsFromUrl,
  type DemoSettings,
} from './demo.ts';
import { h } from './dom.ts';
import { createImage, imageInfo, listImages } from './images/images.ts';
import { isolationNote, supplyIsolation } from './coi.ts';
import { checkIsolation } from './isolation.ts';
import { LessonView } from './lesson/lesson-view.ts';
import { ReplayView } from './lesson/replay-view.ts';
import { BenchmarkDetails } from './ui/benchmark-details.ts';
import { LinuxView } from './linux/linux-view.ts';
import { DiskManager } from './ui/disk-manager.ts';
import { renderSelftest } from './ui/selftest-panel.ts';
import { MachineView } from './ui/machine-view.ts';
import { createWebAio, type WebAio } from './webaio.ts';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');

function alertBox(title: string, lines: string[]): HTMLElement {
  return h(
    'section',
    { class: 'fatal', role: 'alert' },
    h('h2', {}, title),
    h('ul', {}, ...lines.map((p) => h('li', {}, p))),
  );
}

/** The demo's two disks, made if absent: "default" (blank) and "base" (an overlay of the
 *  default base image over HTTP; if the base does not answer, the demo runs without it). */
async function ensureDemoImages(): Promise<void> {
  const names = new Set((await listImages()).map((i) => i.name));
  if (!names.has(DEFAULT_IMAGE)) await createImage(DEFAULT_IMAGE, DEFAULT_IMAGE_BYTES);
  if (!names.has(BASE_OVERLAY)) {
    await createImage(BASE_OVERLAY, { backing: BASE_URL }).catch((e: unknown) =>
      console.warn(`no "${BASE_OVERLAY}" overlay: ${(e as Error).message}`),
    );
  }
}

async function bootDemo(webaio: WebAio, view: MachineView, settings: DemoSettings): Promise<void> {
  const old = webaio.machine;
  webaio.machine = undefined;
  view.useSettings(settings);
  view.attach(undefined, 'Booting…');
  if (old) await old.destroy();
  await ensureDemoImages();
  const info = await imageInfo(settings.image);
  const machine = await webaio.createMachine(demoMachineConfig(settings, info));
  webaio.machine = machine;
  if (settings.autostart) await machine.start();
  view.attach(
    machine,
    `${settings.vcpus} vCPUs on image "${settings.image}", policy ${settings.policy}, ` +
      `max ${settings.maxThreads} threads, AIO ${settings.aio} — ` +
      `${settings.autostart ? 'running' : 'press Start'}.`,
  );
}

/** Not isolated: a service worker may supply it (the page then reloads), or say why not. */
async function refuseOrReload(app: HTMLElement, problems: string[]): Promise<void> {
  if (globalThis.crossOriginIsolated) {
    app.append(alertBox('WebAIO cannot run here', problems));
    return;
  }
  const waiting = h(
    'p',
    { role: 'status', 'aria-label': 'isolation' },
    'This host sends no isolation headers; installing a service worker that supplies them — ' +
      'the page will reload once.',
  );
  app.append(waiting);
  const coi = await supplyIsolation();
  if (coi.kind === 'reloading') return;
  waiting.remove();
  app.append(alertBox('WebAIO cannot run here', [...problems, coi.why]));
}

function main(app: HTMLElement): void {
  const isolation = checkIsolation();
  if (!isolation.ok) {
    void refuseOrReload(app, isolation.problems);
    return;
  }
  const note = isolationNote();
  if (note) app.append(h('p', { class: 'hint', role: 'note', 'aria-label': 'isolation' }, note));
  const webaio = createWebAio();
  window.webaio = webaio;
  let settings = DEFAULT_DEMO;
  let urlError: string | undefined;
  try {
    settings = demoSettingsFromUrl(location.search);
  } catch (e) {
    urlError = (e as Error).message;
  }
  let booting: Promise<void> = Promise.resolve();
  const boot = (s: DemoSettings): Promise<void> => {
    settings = s;
    booting = bootDemo(webaio, view, s).finally(() => void disks.refresh());
    return booting;
  };
  /** Stop the demo machine while "Show me" measures (on 2 cores it would share the CPU with the
   *  trials); what it returns starts it again. */
  const pauseDemo = async (): Promise<() => Promise<void>> => {
    await booting.catch(() => undefined);
    const m = webaio.machine;
    if (!m || !m.vcpus.some((v) => v.isRunning)) return async () => undefined;
    view.say('Stopped while "Show me" measures; it starts again when the trials end.');
    await m.stop();
    return async () => {
      if (webaio.machine !== m) return;
      await m.start();
      view.say('Running.');
    };
  };
  const view: MachineView = new MachineView(settings, { rebuild: boot });
  const linux: LinuxView = new LinuxView(webaio, { imagesChanged: () => void disks.refresh() });
  const disks: DiskManager = new DiskManager(webaio, {
    booted: () => webaio.machine?.image,
    boot: (image) => boot({ ...settings, image, boot: true }),
    // The toy machine lets go of an image Linux is asked to boot on (an image has one user).
    bootLinux: async (image) => {
      const m = webaio.machine;
      if (m?.image === image) {
        webaio.machine = undefined;
        await m.destroy();
        view.attach(
          undefined,
          `Stopped: Linux boots on "${image}" (press Boot on its row for the toy machine).`,
        );
      }
      await linux.boot(image);
    },
  });
  const replay = new ReplayView();
  const details = new BenchmarkDetails(webaio);
  const lesson = new LessonView(webaio, {
    pauseDemo,
    trial: (t) => void replay.show(t),
    runs: (runs) => void details.showRuns(runs),
  });
  app.append(
    lesson.root,
    replay.root,
    details.root,
    view.root,
    disks.root,
    linux.root,
    renderSelftest(webaio),
  );
  if (urlError) {
    app.prepend(
      alertBox('This URL asks for something WebAIO cannot do', [
        urlError,
        'Nothing was booted; fix the URL or use the controls below.',
      ]),
    );
    view.say('Not booted: see the message above.');
    return;
  }
  if (!settings.boot) {
    view.say('Not booted (?boot=0): drive window.webaio from the console.');
    return;
  }
  boot(settings).catch((e: unknown) =>
    view.say(`The demo could not boot: ${(e as Error).message}`),
  );
}

main(root);

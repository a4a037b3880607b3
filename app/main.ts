// The page's entry: refuse clearly without cross-origin isolation; publish window.webaio; boot
// the demo machine on the default disk (unless ?boot=0); show it live.

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
import { createImage, imageInfo, listImages } from './images.ts';
import { checkIsolation } from './isolation.ts';
import { LinuxView } from './linux/linux-view.ts';
import { CompareView } from './ui/compare-view.ts';
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

function main(app: HTMLElement): void {
  const isolation = checkIsolation();
  if (!isolation.ok) {
    app.append(alertBox('WebAIO cannot run here', isolation.problems));
    return;
  }
  const webaio = createWebAio();
  window.webaio = webaio;
  let settings = DEFAULT_DEMO;
  let urlError: string | undefined;
  try {
    settings = demoSettingsFromUrl(location.search);
  } catch (e) {
    urlError = (e as Error).message;
  }
  const boot = async (s: DemoSettings): Promise<void> => {
    settings = s;
    try {
      await bootDemo(webaio, view, s);
    } finally {
      void disks.refresh();
    }
  };
  const view: MachineView = new MachineView(settings, { rebuild: boot });
  const linux: LinuxView = new LinuxView(webaio, { imagesChanged: () => void disks.refresh() });
  const disks: DiskManager = new DiskManager(webaio, {
    booted: () => webaio.machine?.image,
    boot: (image) => boot({ ...settings, image, boot: true }),
    bootLinux: (image) => linux.boot(image),
  });
  app.append(
    view.root,
    disks.root,
    linux.root,
    new CompareView(webaio).root,
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

// The page's entry: refuse clearly without cross-origin isolation; publish window.webaio; boot
// the demo machine on the default disk (unless ?boot=0); show it live.

import './style.css';
import {
  DEFAULT_DEMO,
  DEFAULT_IMAGE,
  DEFAULT_IMAGE_BYTES,
  demoMachineConfig,
  demoSettingsFromUrl,
  type DemoSettings,
} from './demo.ts';
import { h } from './dom.ts';
import { createImage, listImages } from './images.ts';
import { checkIsolation } from './isolation.ts';
import { CompareView } from './ui/compare-view.ts';
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

async function bootDemo(webaio: WebAio, view: MachineView, settings: DemoSettings): Promise<void> {
  const old = webaio.machine;
  webaio.machine = undefined;
  view.attach(undefined, 'Booting…');
  if (old) await old.destroy();
  if (!(await listImages()).some((i) => i.name === DEFAULT_IMAGE)) {
    await createImage(DEFAULT_IMAGE, DEFAULT_IMAGE_BYTES);
  }
  const machine = await webaio.createMachine(demoMachineConfig(settings));
  webaio.machine = machine;
  if (settings.autostart) await machine.start();
  view.attach(
    machine,
    `${settings.vcpus} vCPUs on image "${DEFAULT_IMAGE}", policy ${settings.policy}, ` +
      `max ${settings.maxThreads} threads — ${settings.autostart ? 'running' : 'press Start'}.`,
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
  const view: MachineView = new MachineView(settings, {
    rebuild: (s): Promise<void> => bootDemo(webaio, view, s),
  });
  app.append(view.root, new CompareView(webaio).root, renderSelftest(webaio));
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
  bootDemo(webaio, view, settings).catch((e: unknown) =>
    view.say(`The demo could not boot: ${(e as Error).message}`),
  );
}

main(root);

// The "browser check" panel: runs the self-test and shows that a bottom half scheduled by a
// worker ran on the main thread, with the wake-up latency.

import { h } from '../dom.ts';
import { isBusy, setBusy } from './busy.ts';
import type { WebAio } from '../webaio.ts';

const fmtUs = (us: number) => (us < 1000 ? `${us.toFixed(1)} µs` : `${(us / 1000).toFixed(2)} ms`);

export function renderSelftest(webaio: WebAio): HTMLElement {
  const status = h('p', { role: 'status', 'aria-label': 'browser check' }, 'Checking…');
  const button = h('button', { type: 'button' }, 'Run the browser check again');
  const section = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'selftest-title' },
    h('h2', { id: 'selftest-title' }, 'Browser check'),
    h(
      'p',
      {},
      'The page is cross-origin isolated. A worker attaches to a SharedArrayBuffer and schedules ' +
        'a bottom half; the main loop, waiting in Atomics.waitAsync, runs it.',
    ),
    status,
    button,
  );
  const run = async () => {
    if (isBusy(button)) return;
    setBusy(button, true);
    status.textContent = 'Checking…';
    try {
      const r = await webaio.selftest(200);
      status.textContent =
        `Worker ${r.attached.thread} attached to layout v${r.attached.layoutVersion} ` +
        `(${r.attached.byteLength} bytes). The probe bottom half ran ${r.bhRuns} times on the ` +
        `main thread; worker → main wake-up p50 ${fmtUs(r.wakeUs.p50)}, ` +
        `p99 ${fmtUs(r.wakeUs.p99)}, max ${fmtUs(r.wakeUs.max)}.`;
      status.dataset.bhRuns = String(r.bhRuns);
    } catch (e) {
      status.textContent = `The browser check failed: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      setBusy(button, false);
    }
  };
  button.addEventListener('click', () => void run());
  void run();
  return section;
}

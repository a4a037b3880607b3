// What the Linux panel shows of its machine, in place (the terminal and the controls keep the
// user's focus): the status line — the power and what the guest's state means — the requests
// that failed, the pool's and the disk's figures, and v86's thread.

import { h } from '../dom.ts';
import { fmtUs } from '../ui/format.ts';
import { PoolFigures } from '../ui/pool-figures.ts';
import type { GuestState } from './guest-control.ts';
import type { LinuxMachine } from './linux-machine.ts';

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

export class LinuxReadout {
  readonly status = h('p', { role: 'status', 'aria-label': 'Linux status' }, 'Off.');
  readonly failure = h('p', { class: 'problem', 'aria-label': 'failed disk requests' });
  readonly figures = new PoolFigures('Linux ');
  readonly thread = h('p', { class: 'hint' });

  say(text: string): void {
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  /** Bring every line and figure up to date with `m`. */
  show(m: LinuxMachine): void {
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
}

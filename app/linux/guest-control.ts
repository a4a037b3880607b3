// The guest's control port (ttyS1): the guest's init writes one line there at each step of
// bringing its disk up or down (the page reads the guest's state from it), and the page asks
// it there to power off.

/** What the guest's init last said on the control port (ttyS1). */
export type GuestState =
  | 'booting'
  | 'ready'
  | 'no-disk'
  | 'no-filesystem'
  | 'fsck-failed'
  | 'mount-failed'
  | 'shutting-down'
  | 'unmounted';

const CONTROL_LINES: [RegExp, GuestState][] = [
  [/^booting$/, 'booting'],
  [/^ready$/, 'ready'],
  [/^nodisk$/, 'no-disk'],
  [/^nofs$/, 'no-filesystem'],
  [/^fsck \d+$/, 'fsck-failed'],
  [/^nomount$/, 'mount-failed'],
  [/^stopping$/, 'shutting-down'],
  [/^unmounted$/, 'unmounted'],
];

/** ttyS1's text as it arrives, read line by line. */
export class ControlPort {
  private text = '';

  /** A new boot: a line the last one left unfinished is dropped. */
  reset(): void {
    this.text = '';
  }

  /** The states the lines completed by `bytes` name, in order. */
  receive(bytes: Uint8Array): GuestState[] {
    this.text += new TextDecoder().decode(bytes);
    const lines = this.text.split('\n');
    this.text = lines.pop() ?? '';
    const states: GuestState[] = [];
    for (const raw of lines) {
      const line = raw.replaceAll('\r', '').trim();
      const state = CONTROL_LINES.find(([re]) => re.test(line))?.[1];
      if (state) states.push(state);
    }
    return states;
  }
}

// One import or export in progress: a progress bar with bytes, rate and time left, and Cancel.

import { h } from '../dom.ts';
import { fmtBandwidth, fmtBytes } from './format.ts';

export interface TransferFigures {
  bytesDone: number;
  totalBytes: number | undefined;
  bytesPerSecond: number;
  secondsLeft: number | undefined;
}

export class TransferView {
  readonly root: HTMLElement;
  readonly abort = new AbortController();
  private readonly bar: HTMLProgressElement;
  private readonly text = h('span', { class: 'figures' });
  private readonly cancel = h('button', { type: 'button' }, 'Cancel');

  /** `what` names it, e.g. 'import of "disk"'. */
  constructor(what: string) {
    this.bar = h('progress', { 'aria-label': `${what} progress`, max: 1, value: 0 });
    this.cancel.setAttribute('aria-label', `Cancel ${what}`);
    this.cancel.addEventListener('click', () => this.abort.abort());
    this.root = h(
      'div',
      { class: 'transfer', role: 'group', 'aria-label': what },
      h('span', {}, `${what[0].toUpperCase()}${what.slice(1)}: `),
      this.bar,
      this.text,
      this.cancel,
    );
  }

  update(p: TransferFigures): void {
    if (p.totalBytes) this.bar.value = p.bytesDone / p.totalBytes;
    else this.bar.removeAttribute('value');
    const of = p.totalBytes === undefined ? '' : ` of ${fmtBytes(p.totalBytes)}`;
    const left =
      p.secondsLeft === undefined || !Number.isFinite(p.secondsLeft)
        ? ''
        : ` · ${Math.ceil(p.secondsLeft)} s left`;
    this.text.textContent = ` ${fmtBytes(p.bytesDone)}${of} · ${fmtBandwidth(p.bytesPerSecond)}${left} `;
  }

  done(): void {
    this.cancel.disabled = true;
    this.root.remove();
  }
}

/** `stream`, counting its bytes into `view` and erroring with `signal`'s reason on Cancel. */
export function counted(
  stream: ReadableStream<Uint8Array>,
  totalBytes: number,
  view: TransferView,
  onCancel: () => Error,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  const t0 = performance.now();
  let bytesDone = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (view.abort.signal.aborted) {
          await reader.cancel().catch(() => undefined);
          c.error(onCancel());
          return;
        }
        const { value, done } = await reader.read();
        if (done) {
          c.close();
          return;
        }
        bytesDone += value.length;
        const rate = bytesDone / Math.max((performance.now() - t0) / 1000, 1e-3);
        view.update({
          bytesDone,
          totalBytes,
          bytesPerSecond: rate,
          secondsLeft: (totalBytes - bytesDone) / rate,
        });
        c.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

// The guest's serial console as the page and its scripts see it: the bytes it printed (kept as
// text, the last MAX_CHARS of it), waiting for something to appear, and running a command the
// way a user would, by typing it — with markers the echo of the typed line cannot contain, so
// that only the shell's output matches.

const MAX_CHARS = 1 << 20;

/** Terminal control sequences and carriage returns, which a text search should not see. */
const CONTROL = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r/g;

export interface RunResult {
  /** What the command printed, without the typed line and with \n line ends. */
  output: string;
  /** The shell's $? after it. */
  status: number;
}

interface Waiter {
  pattern: string | RegExp;
  from: number;
  resolve(m: { text: string; end: number; match: RegExpExecArray | null }): void;
}

export class SerialConsole {
  private readonly decoder = new TextDecoder();
  /** The transcript's kept tail, control sequences removed; `dropped` chars came before it. */
  private text = '';
  private dropped = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly write: (bytes: Uint8Array) => void;
  private commands = 0;

  /** `write` sends bytes to the guest's serial port. */
  constructor(write: (bytes: Uint8Array) => void) {
    this.write = write;
  }

  /** Bytes the guest printed. */
  receive(bytes: Uint8Array): void {
    for (const fn of this.listeners) fn(bytes);
    this.text += this.decoder.decode(bytes, { stream: true }).replace(CONTROL, '');
    if (this.text.length > MAX_CHARS) {
      const cut = this.text.length - MAX_CHARS / 2;
      this.text = this.text.slice(cut);
      this.dropped += cut;
    }
    for (const w of this.waiters) this.check(w);
  }

  /** Hear every byte the guest prints from now on; returns the way to stop hearing. */
  listen(fn: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Where the transcript ends now (a mark for waitFor). */
  get mark(): number {
    return this.dropped + this.text.length;
  }

  /** The transcript kept (at most the last MAX_CHARS characters), from `from` if given. */
  transcript(from = 0): string {
    return this.text.slice(Math.max(0, from - this.dropped));
  }

  /** Type `text` (UTF-8) into the console. */
  send(text: string | Uint8Array): void {
    this.write(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  }

  /** Resolves once `pattern` appears after `from` (default: now), or rejects after timeoutMs. */
  async waitFor(
    pattern: string | RegExp,
    { from = this.mark, timeoutMs = 60_000 }: { from?: number; timeoutMs?: number } = {},
  ): Promise<{ text: string; end: number; match: RegExpExecArray | null }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiter: Waiter | undefined;
    try {
      return await new Promise((resolve, reject) => {
        waiter = { pattern, from, resolve };
        this.waiters.add(waiter);
        this.check(waiter);
        timer = setTimeout(() => {
          const tail = this.transcript(Math.max(from, this.mark - 400));
          reject(
            new Error(
              `the serial console did not print ${String(pattern)} within ${timeoutMs} ms; ` +
                `its last lines: ${JSON.stringify(tail)}`,
            ),
          );
        }, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
  }

  /**
   * Type `command` at the shell prompt and wait for it to finish: its output and status. The
   * markers are printed by printf from octal escapes, so the echoed command line never matches.
   */
  async run(command: string, { timeoutMs = 60_000 } = {}): Promise<RunResult> {
    if (command.includes('\n'))
      throw new Error(`run(): one line at a time, not ${JSON.stringify(command)}`);
    const id = ++this.commands;
    const begin = `_webaio_${id}_begin`;
    const end = new RegExp(`_webaio_${id}_end_(\\d+)\\n`);
    const octal = (s: string) => [...s].map((c) => `\\${c.charCodeAt(0).toString(8)}`).join('');
    const from = this.mark;
    this.send(
      `printf '${octal(begin)}\\n'; ${command}; printf '${octal(`_webaio_${id}_end_`)}%d\\n' $?\n`,
    );
    const done = await this.waitFor(end, { from, timeoutMs });
    // done.text runs from `from` to the end marker's line; the output lies between the markers.
    const endAt = done.match?.index ?? done.text.length;
    const start = done.text.indexOf(`${begin}\n`);
    return {
      output: start < 0 ? '' : done.text.slice(start + begin.length + 1, endAt),
      status: Number(done.match?.[1] ?? -1),
    };
  }

  private check(w: Waiter): void {
    const text = this.transcript(w.from);
    let match: RegExpExecArray | null = null;
    let endInText: number;
    if (typeof w.pattern === 'string') {
      const i = text.indexOf(w.pattern);
      if (i < 0) return;
      endInText = i + w.pattern.length;
    } else {
      const re = new RegExp(w.pattern.source, w.pattern.flags.replace('g', ''));
      match = re.exec(text);
      if (!match) return;
      endInText = match.index + match[0].length;
    }
    const base = Math.max(w.from, this.dropped);
    this.waiters.delete(w);
    w.resolve({ text: text.slice(0, endInText), end: base + endInText, match });
  }
}

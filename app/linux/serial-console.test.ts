import { describe, expect, it } from 'vitest';
import { SerialConsole } from './serial-console.ts';

/** A pretend shell on the other end: echoes what is typed (as a tty does, \r\n), then runs
 *  printf and echo lines the way ash would. */
function fakeShell() {
  const out = (text: string) =>
    console_.receive(new TextEncoder().encode(text.replaceAll('\n', '\r\n')));
  const console_ = new SerialConsole((bytes) => {
    const line = new TextDecoder().decode(bytes);
    out(`\x1b[1m${line}`);
    const printf = (fmt: string, status = 0) =>
      fmt
        .replace(/\\([0-7]{1,3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
        .replace('%d', String(status))
        .replace('\\n', '\n');
    const parts = line.trimEnd().split('; ');
    let status = 0;
    for (const p of parts) {
      const m = /^printf '([^']*)'(?: \$\?)?$/.exec(p);
      if (m) out(printf(m[1], status));
      else if (p.startsWith('echo ')) {
        out(`${p.slice(5)}\n`);
        status = 0;
      } else if (p === 'false') status = 1;
    }
    out('/mnt # ');
  });
  return console_;
}

describe('serial console', () => {
  it('console/run-output-and-status: the typed line never counts as output', async () => {
    const c = fakeShell();
    expect(await c.run('echo hello')).toEqual({ output: 'hello\n', status: 0 });
    expect(await c.run('false')).toEqual({ output: '', status: 1 });
  });

  it('console/wait-for-later-text: waitFor sees only what comes after its mark', async () => {
    const c = new SerialConsole(() => undefined);
    c.receive(new TextEncoder().encode('webaio: ready\r\n'));
    const later = c.waitFor('webaio: ready', { timeoutMs: 1000 });
    c.receive(new TextEncoder().encode('again: webaio: rea'));
    c.receive(new TextEncoder().encode('dy\r\n'));
    const seen = await later;
    expect(seen.text).toBe('again: webaio: ready');
    await expect(c.waitFor('never', { timeoutMs: 20 })).rejects.toThrow(
      /did not print never within 20 ms/,
    );
  });
});

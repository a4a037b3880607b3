// The Linux view as the tests use it (a page object): boot on an image from the Disks panel, wait
// for the guest to mount its disk, type commands at its shell through window.webaio's console
// API, and the files of known content the persistence tests write and check.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';

/** A boot on a busy 2-core machine: the kernel, e2fsck, and a first mke2fs. */
export const BOOT_MS = 180_000;

/** The tests' disk: blank, 64 MiB. */
export const IMAGE = 'linux';
const IMAGE_BYTES = 64 << 20;

export const blankImage = (page: Page) =>
  page.evaluate(([n, b]) => window.webaio.images.create(n, b), [IMAGE, IMAGE_BYTES] as const);

/** A line of 67 bytes (a prime: a block landing at the wrong offset reads differently). */
const LINE = 'webaio guest file: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHI\n';
/** The big file is LINE doubled this many times: 8.4 MiB (cat doubles it fast in the guest;
 *  `seq` or `yes` write a line at a time and take minutes under v86). */
const DOUBLINGS = 17;

/** Files of known content: a small one, one of 8.4 MiB, and one in a directory. */
export const KNOWN_FILES: { path: string; write: string; bytes: () => Buffer }[] = [
  {
    path: '/mnt/hello.txt',
    write: "printf 'hello from webaio\\n' > /mnt/hello.txt",
    bytes: () => Buffer.from('hello from webaio\n'),
  },
  {
    path: '/mnt/big',
    write:
      `printf '${LINE.replace('\n', '\\n')}' > /mnt/big && i=0 && ` +
      `while [ $i -lt ${DOUBLINGS} ]; do cat /mnt/big /mnt/big > /mnt/t && mv /mnt/t /mnt/big ` +
      '&& i=$((i + 1)); done',
    bytes: () => Buffer.from(LINE.repeat(2 ** DOUBLINGS)),
  },
  {
    path: '/mnt/dir/upper',
    write: 'mkdir -p /mnt/dir && head -c 300000 /mnt/big | tr a-z A-Z > /mnt/dir/upper',
    bytes: () =>
      Buffer.from(
        LINE.repeat(2 ** DOUBLINGS)
          .slice(0, 300000)
          .toUpperCase(),
      ),
  },
];

export const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** Each known file's md5 as the host computes it, by path. */
export function expectedMd5s(): Record<string, string> {
  return Object.fromEntries(KNOWN_FILES.map((f) => [f.path, md5(f.bytes())]));
}

export class LinuxGuest {
  readonly page: Page;

  constructor(page: Page) {
    this.page = page;
  }

  get panel() {
    return this.page.getByRole('region', { name: 'Linux' });
  }

  get status() {
    return this.page.getByRole('status', { name: 'Linux status' });
  }

  /** "Boot Linux" on the image's row of the Disks panel; resolves once /dev/sda is mounted. */
  async boot(image: string): Promise<void> {
    await this.page.getByRole('button', { name: `Boot Linux ${image}`, exact: true }).click();
    await expect(this.status).toContainText('/dev/sda is mounted on /mnt', { timeout: BOOT_MS });
  }

  /** Type a command at the guest's shell; its output (throws on a non-zero status). */
  async run(command: string, timeoutMs = 120_000): Promise<string> {
    const r = await this.page.evaluate(
      ([c, t]) => {
        const m = window.webaio.linux;
        if (!m) throw new Error('no Linux machine');
        return m.console.run(c, { timeoutMs: t });
      },
      [command, timeoutMs] as const,
    );
    if (r.status !== 0) throw new Error(`\`${command}\` exited with ${r.status}: ${r.output}`);
    return r.output;
  }

  /** Write the known files, then `sync`; resolves when sync has returned in the guest. */
  async writeKnownFiles(): Promise<void> {
    for (const f of KNOWN_FILES) await this.run(f.write);
    await this.run('sync');
  }

  /** md5sum of each known file, as the guest computes it (after dropping its caches). */
  async md5s(): Promise<Record<string, string>> {
    await this.run('sync; echo 3 > /proc/sys/vm/drop_caches');
    const out = await this.run(`md5sum ${KNOWN_FILES.map((f) => f.path).join(' ')}`);
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((line) => {
          const [sum, path] = line.trim().split(/\s+/);
          return [path, sum];
        }),
    );
  }

  /** "Shut down" in the Linux panel: the guest unmounts, the image is free again. */
  async shutDown(): Promise<void> {
    await this.panel.getByRole('button', { name: 'Shut down' }).click();
    await expect(this.status).toContainText('is free again', { timeout: 60_000 });
  }
}

/** e2fsprogs' programs on the host (.ci/run installs e2fsprogs where they are missing). */
export function hostTool(name: 'e2fsck' | 'debugfs'): string {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  throw new Error(`no ${name} on this machine: apt-get install e2fsprogs (.ci/run does)`);
}

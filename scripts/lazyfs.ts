// A lazyfs mount for power-cut tests (scripts/lazyfs.py: file data is volatile until fsync).
// Killing the filesystem process is the power cut; starting it again on the same backing
// directory is the reboot. Every mount this makes is unmounted on every path, failure included.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOL = fileURLToPath(new URL('./lazyfs.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
const MOUNT_TIMEOUT_MS = 10_000;

/** Why lazyfs cannot run here, or undefined if it can (python3-llfuse, fuse3, /dev/fuse). */
export function lazyfsMissing(): string | undefined {
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse';
  try {
    execFileSync(PYTHON, ['-c', 'import llfuse'], { stdio: 'ignore' });
  } catch {
    return `${PYTHON} cannot import llfuse (apt-get install python3-llfuse)`;
  }
  try {
    execFileSync('sh', ['-c', 'command -v fusermount3'], { stdio: 'ignore' });
  } catch {
    return 'no fusermount3 (apt-get install fuse3)';
  }
  return undefined;
}

function mounted(mountpoint: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === mountpoint);
}

export class LazyFs {
  readonly backing: string;
  readonly mountpoint: string;
  private child: ChildProcess | undefined;

  /** A filesystem over `dir`/backing, mounted at `dir`/mnt. */
  constructor(dir: string) {
    this.backing = join(dir, 'backing');
    this.mountpoint = join(dir, 'mnt');
    mkdirSync(this.backing, { recursive: true });
    mkdirSync(this.mountpoint, { recursive: true });
  }

  /** Boot: mount over the backing directory, which holds what earlier syncs made durable. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`lazyfs at ${this.mountpoint} is already running`);
    const child = spawn(PYTHON, [TOOL, this.backing, this.mountpoint], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env },
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    this.child = child;
    // Should this process end without a cut (a test timed out, ^C): no filesystem left behind.
    process.once('exit', this.cutNow);
    const t0 = Date.now();
    while (!mounted(this.mountpoint)) {
      if (child.exitCode !== null || Date.now() - t0 > MOUNT_TIMEOUT_MS) {
        await this.cut();
        throw new Error(`lazyfs did not mount ${this.mountpoint}: ${stderr.trim() || 'timed out'}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The power cut: everything not fsynced is gone. Then the mount is taken away. */
  async cut(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    process.off('exit', this.cutNow);
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    if (mounted(this.mountpoint)) {
      execFileSync('fusermount3', ['-u', '-z', this.mountpoint], { stdio: 'ignore' });
    }
  }

  /** The same, synchronously, as this process exits. */
  private readonly cutNow = (): void => {
    this.child?.kill('SIGKILL');
    this.child = undefined;
    try {
      if (mounted(this.mountpoint)) {
        execFileSync('fusermount3', ['-u', '-z', this.mountpoint], { stdio: 'ignore' });
      }
    } catch {
      // Exiting anyway: nothing more to do.
    }
  };
}

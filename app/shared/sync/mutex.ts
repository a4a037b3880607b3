// qemu_mutex on one Int32 word of shared memory (cf. util/qemu-thread-posix.c), futex-style
// as in Drepper's "Futexes Are Tricky" (mutex 2): 0 unlocked, 1 locked, 2 locked with waiters.
// Workers block in Atomics.wait; the main thread, which may not block, awaits Atomics.waitAsync.

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;

export class QemuMutex {
  private readonly i32: Int32Array;
  private readonly index: number;

  constructor(i32: Int32Array, index: number) {
    this.i32 = i32;
    this.index = index;
  }

  /** qemu_mutex_trylock(): true if taken. */
  tryLock(): boolean {
    return Atomics.compareExchange(this.i32, this.index, UNLOCKED, LOCKED) === UNLOCKED;
  }

  /** qemu_mutex_lock() for threads that may block (workers). */
  lock(): void {
    let c = Atomics.compareExchange(this.i32, this.index, UNLOCKED, LOCKED);
    if (c === UNLOCKED) return;
    // Announce a waiter before sleeping, so the holder's unlock knows to notify.
    if (c !== CONTENDED) c = Atomics.exchange(this.i32, this.index, CONTENDED);
    while (c !== UNLOCKED) {
      Atomics.wait(this.i32, this.index, CONTENDED);
      c = Atomics.exchange(this.i32, this.index, CONTENDED);
    }
  }

  /** The same protocol for the main thread: try, then await the word changing, then retry. */
  async lockAsync(): Promise<void> {
    let c = Atomics.compareExchange(this.i32, this.index, UNLOCKED, LOCKED);
    if (c === UNLOCKED) return;
    if (c !== CONTENDED) c = Atomics.exchange(this.i32, this.index, CONTENDED);
    while (c !== UNLOCKED) {
      const w = Atomics.waitAsync(this.i32, this.index, CONTENDED);
      if (w.async) await w.value;
      c = Atomics.exchange(this.i32, this.index, CONTENDED);
    }
  }

  /** qemu_mutex_unlock(): wake one waiter if any announced itself. */
  unlock(): void {
    if (Atomics.sub(this.i32, this.index, 1) !== LOCKED) {
      Atomics.store(this.i32, this.index, UNLOCKED);
      Atomics.notify(this.i32, this.index, 1);
    }
  }

  /** For assertions and displays only: someone holds it right now. */
  isLocked(): boolean {
    return Atomics.load(this.i32, this.index) !== UNLOCKED;
  }
}

import { type LockFile, openLockFile } from "./flock.ts";

/**
 * Per-name asynchronous mutexes: one queue per locked name, created on
 * demand and dropped when idle, so unrelated keys never wait for each other.
 */

/** A set of named async mutexes. */
export class NamedLocks {
  #tails = new Map<string, Promise<void>>();

  /** Runs `fn` while holding the lock `name`; callers on the same name run one at a time, in order. */
  async with<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(name);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => mine) : mine;
    this.#tails.set(name, tail);
    if (previous) await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    }
  }

  /** Number of names currently locked or waited for (for tests and metrics). */
  get size(): number {
    return this.#tails.size;
  }
}

/** FNV-1a hash of a string (32-bit). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Locks that also hold across processes sharing a data dir: names hash to
 * one of a fixed set of lock files under `dir`, each taken with an exclusive
 * `flock` (see flock.ts) inside an in-process mutex for its slot (flock
 * does not exclude holders within one process). Callers must never take a
 * second lock while holding one (two names may share a slot); withPair() is
 * the one way to hold two.
 */
export class SharedLocks {
  readonly #local = new NamedLocks();
  readonly #files = new Map<number, Promise<LockFile>>();

  /** Uses lock files `dir/<slot>`; `dir` must exist. */
  constructor(private readonly dir: string, private readonly slots = 256) {}

  #file(slot: number): Promise<LockFile> {
    let file = this.#files.get(slot);
    if (!file) {
      file = openLockFile(`${this.dir}/${slot}`);
      file.catch(() => this.#files.delete(slot));
      this.#files.set(slot, file);
    }
    return file;
  }

  /** Runs `fn` holding the lock for `name`, in this process and across processes. */
  with<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.#withSlot(fnv1a(name) % this.slots, fn);
  }

  /**
   * Runs `fn` holding the locks of two names (a rename's source and target): the only place two
   * are held at once, always in slot order, so two such callers cannot wait on each other, and
   * one lock is taken when both names share a slot.
   */
  withPair<T>(a: string, b: string, fn: () => Promise<T>): Promise<T> {
    const [low, high] = [fnv1a(a) % this.slots, fnv1a(b) % this.slots].sort((x, y) => x - y);
    if (low === high) return this.#withSlot(low, fn);
    return this.#withSlot(low, () => this.#withSlot(high, fn));
  }

  #withSlot<T>(slot: number, fn: () => Promise<T>): Promise<T> {
    return this.#local.with(String(slot), async () => {
      const file = await this.#file(slot);
      await file.lock();
      try {
        return await fn();
      } finally {
        file.unlock();
      }
    });
  }

  /** Closes the lock files. */
  close(): void {
    for (const f of this.#files.values()) f.then((file) => file.close()).catch(() => {});
    this.#files.clear();
  }
}

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

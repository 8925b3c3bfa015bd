/**
 * Work that need not hold up a response (removing a finished upload's
 * staging, freeing the blocks of a replaced large object): started at once,
 * tracked so shutdown and tests can wait for it, and never able to fail a
 * request or go unhandled.
 */

import type { Logger } from "../log.ts";

/** A set of tracked background tasks. */
export class Background {
  readonly #pending = new Set<Promise<void>>();

  /** Tasks whose failures are reported to `log`. */
  constructor(private readonly log: Logger) {}

  /** Starts `task` without waiting for it; its errors are logged and dropped. */
  run(label: string, task: () => Promise<void>): void {
    const p: Promise<void> = task()
      .catch((e) =>
        this.log.event("warn", "background task failed", { task: label, error: String(e) })
      )
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves when every task started so far (and any they started) has ended. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Number of tasks still running (metrics, tests). */
  get size(): number {
    return this.#pending.size;
  }
}

/**
 * Stamps of bucket configurations that cost nothing per request: a
 * generation counter in shared memory, bumped by every configuration write
 * of any server of the process (a worker pool shares one), answers "did
 * anything change here?" at once; the configuration directory is stat'ed
 * again only when it did, or after REVALIDATE_MS, to see what other
 * processes and hand edits did.
 */
import { isNotFound } from "./fsutil.ts";

/** How long a stamp is trusted without a stat when nothing in this process wrote. */
const REVALIDATE_MS = 1000;

/**
 * While a directory changed within this many ms, its stamp is new on every
 * stat: a second change in the same clock tick would leave its time as it was.
 */
const RACY_MS = 2000;

/** The configuration stamps of one store. */
export class ConfigStamps {
  #generation: Int32Array;
  #cache = new Map<string, { generation: number; checked: number; stamp: string }>();
  #racy = 0;

  /** Stamps over a shared generation counter (ConfigStamps.newBuffer(); a private one by default). */
  constructor(shared: SharedArrayBuffer = ConfigStamps.newBuffer()) {
    this.#generation = new Int32Array(shared);
  }

  /** Memory for a generation counter several stores share. */
  static newBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  }

  /** Records that a configuration of this process changed (before the change is acknowledged). */
  changed(): void {
    Atomics.add(this.#generation, 0, 1);
  }

  /** The stamp of the configuration directory `dir` (of bucket `bucket`). */
  stamp(bucket: string, dir: string): string {
    const generation = Atomics.load(this.#generation, 0);
    const now = Date.now();
    const cached = this.#cache.get(bucket);
    if (cached && cached.generation === generation && now - cached.checked < REVALIDATE_MS) {
      return cached.stamp;
    }
    const stamp = `${generation}:${this.#stat(dir, now)}`;
    this.#cache.set(bucket, { generation, checked: now, stamp });
    if (this.#cache.size > MAX_BUCKETS) this.#cache.delete(this.#cache.keys().next().value!);
    return stamp;
  }

  #stat(dir: string, now: number): string {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dir);
    } catch (e) {
      if (isNotFound(e)) return "none";
      throw e;
    }
    const changed = info.mtime?.getTime() ?? 0;
    if (now - changed < RACY_MS) return `racy:${++this.#racy}`;
    return `${info.ino}:${changed}`;
  }
}

const MAX_BUCKETS = 4096;

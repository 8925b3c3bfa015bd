/**
 * The directories under buckets and the sidecar tree: made on demand (and
 * remembered, so a hot prefix costs no mkdir), pruned when a delete leaves
 * them empty, and made out of an object file when a key below it arrives
 * ("promotion": `a` becomes `a/%obj` so that `a/b` can exist beside it).
 */
import { segmentsToKey, SELF_OBJECT } from "./keys.ts";
import type { Layout } from "./layout.ts";
import type { SharedLocks } from "./locks.ts";
import { SEP } from "./paths.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import type { PromotionJob, PromotionJournal } from "./journal.ts";

/** Thrown inside a key's lock when an ancestor must first become a directory (done unlocked, then retried). */
export class RetryCommit extends Error {}

/** Where a parent directory is needed. */
export interface ParentOf {
  bucket: string;
  /** The object's segments. */
  segments: readonly string[];
  /** The tree the directory is in (a bucket directory or its sidecar tree). */
  base: string;
  /** Create `base` itself too (the sidecar tree of a bucket is made on demand). */
  createBase?: boolean;
  /** The key lock the caller holds ("" for none). */
  heldLock?: string;
}

/** Directory knowledge and changes for one store. */
export class Directories {
  readonly #known = new Set<string>();

  /** Directories of `layout`; promotions take `locks` and are journaled in `journal`. */
  constructor(
    private readonly layout: Layout,
    private readonly locks: SharedLocks,
    private readonly journal: PromotionJournal,
  ) {}

  /** Forgets every directory known (after a failure that may mean one was removed). */
  clear(): void {
    this.#known.clear();
  }

  /** Forgets `prefix` and every directory below it. */
  forget(prefix: string): void {
    for (const d of this.#known) {
      if (d === prefix || d.startsWith(prefix + SEP)) this.#known.delete(d);
    }
  }

  /** Makes sure the directory holding `segments` exists under `base`, turning files in the way into directories. */
  async ensureParent(p: ParentOf): Promise<void> {
    const { bucket, segments, base } = p;
    const heldLock = p.heldLock ?? "";
    if (segments.length < 2 && !p.createBase) return;
    const dir = segments.length < 2 ? base : base + SEP + segments.slice(0, -1).join(SEP);
    if (this.#known.has(dir)) return;
    for (let attempt = 0;; attempt++) {
      try {
        await Deno.mkdir(dir, { recursive: true });
        this.#known.add(dir);
        return;
      } catch (e) {
        if (
          attempt > segments.length ||
          !(e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.AlreadyExists)
        ) throw e;
      }
      // Some ancestor is a file: an object whose key is a prefix of this one.
      for (let n = 1; n < segments.length; n++) {
        const path = base + SEP + segments.slice(0, n).join(SEP);
        const info = await lstatOrNull(path);
        if (info === null) break;
        if (info.isDirectory) continue;
        const ancestor = segments.slice(0, n);
        // Holding a key's lock, only that key itself may be promoted here (locks never nest).
        if (heldLock !== "" && segmentsLockName(bucket, ancestor) !== heldLock) {
          throw new RetryCommit();
        }
        await this.#promote(bucket, ancestor, heldLock);
        break;
      }
    }
  }

  /** Removes the now-empty directories above a deleted file, up to (never including) `base`. */
  async prune(base: string, segments: readonly string[]): Promise<void> {
    for (let n = segments.length - 1; n > 0; n--) {
      const dir = base + SEP + segments.slice(0, n).join(SEP);
      try {
        // The trailing separator makes this an rmdir: a file put in the directory's place
        // meanwhile (`a` written once `a/b` was deleted) fails it instead of being removed.
        await Deno.remove(dir + SEP);
      } catch {
        return; // not empty, or already gone
      }
      this.#known.delete(dir);
    }
  }

  /**
   * Turns the object file at `segments` into a directory holding the same
   * bytes as its reserved `%obj` entry (data and sidecar), so keys below it
   * can exist. Journaled so a crash midway is repaired at start-up.
   */
  async #promote(bucket: string, segments: string[], heldLock: string): Promise<void> {
    const key = segmentsLockName(bucket, segments);
    const run = async () => {
      const job = await this.journal.begin({ bucket, segments });
      await this.#promoteTree(this.layout.dataPath(bucket, segments), job.dataHold);
      await this.#promoteTree(this.layout.metaPath(bucket, segments), job.metaHold);
      await job.done();
    };
    // A writer retrying its own key (its sidecar landed where a directory is now needed)
    // already holds that key's lock: locks are not re-entrant, so run directly.
    if (key === heldLock) await run();
    else await this.locks.with(key, run);
  }

  /**
   * Moves the file at `path` to `path/%obj` by way of a second link at `hold`.
   * Resumable: run again after a crash at any step, it finishes the move.
   */
  async #promoteTree(path: string, hold: string): Promise<void> {
    let info = await lstatOrNull(path);
    let held = await lstatOrNull(hold);
    if (info?.isFile) {
      // Held bytes of another file: the one in place replaced them after the crash.
      if (held && held.ino !== info.ino) {
        await removeQuietly(hold);
        held = null;
      }
      if (!held) await Deno.link(path, hold);
      await Deno.remove(path);
      info = null;
    } else if (!held) {
      return; // nothing to move: no object here, or already a directory
    }
    if (!info) await Deno.mkdir(path, { recursive: true });
    // A %obj already there was written after the crash: newer than the held bytes.
    if (await lstatOrNull(path + SEP + SELF_OBJECT)) await removeQuietly(hold);
    else await Deno.rename(hold, path + SEP + SELF_OBJECT);
    this.#known.add(path);
  }

  /**
   * Finishes a promotion a crashed process left, whatever step it stopped at:
   * both the data file and its sidecar end up in the directory, never one of
   * them (readers look for the sidecar where the data is). Under the key's
   * lock, as other processes may be writing meanwhile.
   */
  async recover(job: PromotionJob): Promise<void> {
    await this.locks.with(segmentsLockName(job.bucket, job.segments), async () => {
      await this.#promoteTree(this.layout.dataPath(job.bucket, job.segments), job.dataHold);
      await this.#promoteTree(this.layout.metaPath(job.bucket, job.segments), job.metaHold);
    });
  }
}

/** The lock name of an object: bucket + "/" + key (a promoted ancestor's key is its decoded segments). */
function segmentsLockName(bucket: string, segments: readonly string[]): string {
  return bucket + "/" + (segmentsToKey(segments) ?? segments.join("/"));
}

/** lstat, or null when nothing is there. */
async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

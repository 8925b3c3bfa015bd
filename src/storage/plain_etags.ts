/**
 * The ETags of small files placed by hand (no sidecar: their ETag is the MD5
 * of their bytes), remembered by path while the file there is the same: a
 * listing then stats such a file instead of reading and hashing it. A file
 * counts as the same while its device, inode, size, modification and change
 * times all are; the change time cannot be set by a user, so even a rewrite
 * in place that restores the modification time (rsync --inplace -t) is
 * seen. Entries are made only for files unchanged for RACY_MS, so a write
 * within one tick of the clock after the entry cannot go unseen (git's
 * "racy" entries have the same cause).
 */

/** How long a file must have stood unchanged before its ETag is remembered. */
export const RACY_MS = 2_000;
/** Most ETags remembered; the oldest go first. */
export const MAX_ENTRIES = 100_000;

interface Entry {
  stamp: string;
  md5: string;
}

/** Remembered ETags of plain small files, by data path. */
export class PlainEtags {
  readonly #entries = new Map<string, Entry>();

  /** Whether an ETag is remembered for `path` (for some file: see get()). */
  has(path: string): boolean {
    return this.#entries.has(path);
  }

  /** The MD5 (hex) remembered for the file at `path` when `info` is still that file's. */
  get(path: string, info: Deno.FileInfo): string | undefined {
    const e = this.#entries.get(path);
    return e !== undefined && e.stamp === stampOf(info) ? e.md5 : undefined;
  }

  /** Remembers the MD5 of the file at `path` described by `info`, unless it changed too lately. */
  set(path: string, info: Deno.FileInfo, md5: string, now = Date.now()): void {
    const changed = Math.max(info.mtime?.getTime() ?? now, info.ctime?.getTime() ?? now);
    if (now - changed < RACY_MS) return;
    this.#entries.delete(path);
    if (this.#entries.size >= MAX_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(path, { stamp: stampOf(info), md5 });
  }
}

/**
 * What must stay equal for a file to be the same one. The change time in
 * whole seconds: Deno's stat gives no finer (its openat2 twin does); entries
 * are made RACY_MS after the last change, so a later one is a later second.
 */
function stampOf(info: Deno.FileInfo): string {
  const ctime = Math.floor((info.ctime?.getTime() ?? 0) / 1000);
  return `${info.dev}:${info.ino}:${info.size}:${info.mtime?.getTime()}:${ctime}`;
}

/**
 * The per-process area `<data-dir>/.geckos3/tmp/<instance>/`. Each server
 * process owns one directory, holds an exclusive lock on a file in it for
 * as long as it runs, and beats a heartbeat into it. Directories of dead
 * processes are handed to a repair step and removed, at start-up and
 * periodically, so crash leftovers never accumulate and a live process
 * sharing the data dir is never disturbed.
 */
import { SEP } from "./paths.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";

const HEARTBEAT = "heartbeat.json";
/** Lock file each process holds exclusively while it runs. */
const ALIVE_LOCK = "alive.lock";
const HEARTBEAT_MS = 30_000;
const STALE_MS = 120_000;

/** Repairs what a dead process left in its directory (before the directory is removed). */
export type Repair = (deadDir: string) => Promise<void>;

/** The directory of this process, and the sweep of dead ones. */
export class InstanceArea {
  /** This process's own directory. */
  readonly dir: string;
  #timer: ReturnType<typeof setInterval> | undefined;
  #counter = 0;
  #alive: Deno.FsFile | undefined;
  /** Directories of live peers whose lock we are waiting on (one waiter each). */
  readonly #watched = new Set<string>();
  readonly #prefix: string;

  /** The area under `root`; call init(). */
  constructor(readonly root: string) {
    const id = `${Date.now().toString(36)}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.dir = root + SEP + id;
    this.#prefix = this.dir + SEP;
  }

  /** Creates this process's directory and repairs and removes those of dead processes. */
  async init(repair: Repair): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    // Held for the life of the process; the kernel releases it however the process ends.
    this.#alive = await Deno.open(this.#prefix + ALIVE_LOCK, {
      read: true,
      write: true,
      create: true,
    });
    await this.#alive.lock(true);
    await this.#beat();
    await this.sweep(repair);
    const timer = setInterval(() => {
      this.#beat().then(() => this.sweep(repair)).catch(() => {});
    }, HEARTBEAT_MS);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }

  /** Stops the heartbeat and removes this process's directory. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      this.#alive?.close();
    } catch {
      // already closed
    }
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch {
      // Left for the next start-up.
    }
  }

  /** Stops heartbeats and releases the liveness lock without cleaning up, as a crash would (tests). */
  abandon(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#alive?.close();
    this.#alive = undefined;
  }

  /** A fresh path in this process's directory. */
  newPath(suffix = ""): string {
    return `${this.#prefix}${(++this.#counter).toString(36)}-${crypto.randomUUID()}${suffix}`;
  }

  async #beat(): Promise<void> {
    const hb = JSON.stringify({ pid: Deno.pid, host: Deno.hostname(), at: Date.now() });
    await Deno.writeTextFile(this.#prefix + HEARTBEAT, hb);
  }

  /**
   * Whether the process owning `dir` is gone: it held an exclusive lock on
   * its lock file until it ended. When the lock cannot be taken at once the
   * owner is alive; one waiter per such directory stays queued and runs
   * `onDeath` (a sweep) as soon as the owner ends. Directories without a lock
   * file (older layouts, other filesystems) fall back to the heartbeat's age.
   */
  async #isDead(dir: string, onDeath: () => Promise<void>): Promise<boolean> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(dir + SEP + ALIVE_LOCK, { read: true, write: true });
    } catch {
      return await isStale(dir);
    }
    if (this.#watched.has(dir)) {
      file.close();
      return false;
    }
    const locked = file.lock(true).then(() => true, () => false);
    const free = await Promise.race([
      locked,
      new Promise<null>((r) => setTimeout(() => r(null), 100)),
    ]);
    if (free !== null) {
      file.close();
      return free;
    }
    this.#watched.add(dir);
    locked.then(async () => {
      file.close();
      this.#watched.delete(dir);
      if (this.#timer !== undefined) await onDeath().catch(() => {});
    });
    return false;
  }

  /** Repairs and removes the directories of processes that are gone. */
  async sweep(repair: Repair): Promise<void> {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.root));
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const e of entries) {
      const dir = this.root + SEP + e.name;
      if (dir === this.dir) continue;
      if (!e.isDirectory) {
        await removeQuietly(dir);
        continue;
      }
      if (!(await this.#isDead(dir, () => this.sweep(repair)))) continue;
      await repair(dir);
      await removeQuietly(dir, true);
    }
  }
}

/** Without a lock file: a directory whose heartbeat (or, lacking one, mtime) is older than STALE_MS. */
async function isStale(dir: string): Promise<boolean> {
  try {
    const hb = JSON.parse(await Deno.readTextFile(dir + SEP + HEARTBEAT)) as { at: number };
    return Date.now() - hb.at > STALE_MS;
  } catch {
    try {
      const info = await Deno.stat(dir);
      return Date.now() - (info.mtime?.getTime() ?? 0) > STALE_MS;
    } catch {
      return false;
    }
  }
}

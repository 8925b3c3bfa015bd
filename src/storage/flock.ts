/**
 * Exclusive `flock` locks on lock files, taken at once when free and waited
 * for off the JavaScript thread when held elsewhere.
 *
 * Deno's own `FsFile.lock()` always goes through the blocking thread pool:
 * about 30 µs of round trip for a lock and an unlock, on every write of an
 * object. Its `lockSync()` would be as cheap as the system call, but blocks
 * the whole event loop while another process holds the lock. Where libc can
 * be loaded (Linux, macOS), this module calls `flock(LOCK_EX | LOCK_NB)`
 * directly and only waits on another thread when that fails; elsewhere it
 * falls back to `FsFile.lock()`.
 */
import { cString, type Libc, libc, O_RDWR_CREAT_CLOEXEC } from "./libc.ts";

/** A lock file held open for the life of the server. */
export interface LockFile {
  /** Takes the exclusive lock; resolves at once (no promise) when it was free. */
  lock(): Promise<void> | void;
  /**
   * Takes the exclusive lock if it is free now: false when another process
   * holds it (where locks cannot be asked without waiting, always true).
   */
  tryLock(): boolean;
  /** Releases the lock (never blocks). */
  unlock(): void;
  /** Closes the file (releasing any lock). */
  close(): void;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/** Whether locks go straight to libc (false: through `FsFile.lock()`). */
export function directLocks(): boolean {
  return libc() !== null && O_RDWR_CREAT_CLOEXEC !== undefined;
}

/** Opens (creating) the lock file at `path`. */
export async function openLockFile(path: string): Promise<LockFile> {
  const c = libc();
  if (c && O_RDWR_CREAT_CLOEXEC !== undefined && !path.includes("\0")) {
    const fd = c.open(cString(path), O_RDWR_CREAT_CLOEXEC, 0o644);
    if (fd >= 0) return new DirectLockFile(c, fd);
    // Fall through: Deno.open reports why the file cannot be opened.
  }
  const file = await Deno.open(path, { read: true, write: true, create: true });
  return {
    lock: () => file.lock(true),
    tryLock: () => true,
    unlock: () => file.unlockSync(),
    close: () => file.close(),
  };
}

/** A lock file opened and locked through libc. */
class DirectLockFile implements LockFile {
  constructor(private readonly c: Libc, private readonly fd: number) {}

  lock(): Promise<void> | void {
    if (this.c.flock(this.fd, LOCK_EX | LOCK_NB) === 0) return;
    return this.#wait();
  }

  async #wait(): Promise<void> {
    // A failure other than "held elsewhere" (EINTR) is retried the same way.
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await this.c.flockWait(this.fd, LOCK_EX) === 0) return;
    }
    throw new Error("flock failed");
  }

  tryLock(): boolean {
    return this.c.flock(this.fd, LOCK_EX | LOCK_NB) === 0;
  }

  unlock(): void {
    this.c.flock(this.fd, LOCK_UN);
  }

  close(): void {
    this.c.close(this.fd);
  }
}

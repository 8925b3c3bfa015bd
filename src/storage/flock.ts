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

/** A lock file held open for the life of the server. */
export interface LockFile {
  /** Takes the exclusive lock; resolves at once (no promise) when it was free. */
  lock(): Promise<void> | void;
  /** Releases the lock (never blocks). */
  unlock(): void;
  /** Closes the file (releasing any lock). */
  close(): void;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  flockWait: { name: "flock", parameters: ["i32", "i32"], result: "i32", nonblocking: true },
  close: { parameters: ["i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** open(2) flags for read-write, create and close-on-exec, per OS. */
const OPEN_FLAGS: Partial<Record<typeof Deno.build.os, number>> = {
  linux: 0o2 | 0o100 | 0o2000000,
  darwin: 0x2 | 0x200 | 0x1000000,
};
const LIBC: Partial<Record<typeof Deno.build.os, string>> = {
  linux: "libc.so.6",
  darwin: "libSystem.B.dylib",
};

let libc: Libc | null | undefined;

/** libc's symbols, or null where they cannot be loaded (other OS, no FFI permission). */
function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  const name = LIBC[Deno.build.os];
  try {
    libc = name ? Deno.dlopen(name, SYMBOLS).symbols : null;
  } catch {
    libc = null;
  }
  return libc;
}

/** Whether locks go straight to libc (false: through `FsFile.lock()`). */
export function directLocks(): boolean {
  return loadLibc() !== null;
}

/** Opens (creating) the lock file at `path`. */
export async function openLockFile(path: string): Promise<LockFile> {
  const c = loadLibc();
  const flags = OPEN_FLAGS[Deno.build.os];
  if (c && flags !== undefined) {
    const fd = c.open(new TextEncoder().encode(path + "\0"), flags, 0o644);
    if (fd >= 0) return new DirectLockFile(c, fd);
    // Fall through: Deno.open reports why the file cannot be opened.
  }
  const file = await Deno.open(path, { read: true, write: true, create: true });
  return {
    lock: () => file.lock(true),
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

  unlock(): void {
    this.c.flock(this.fd, LOCK_UN);
  }

  close(): void {
    this.c.close(this.fd);
  }
}

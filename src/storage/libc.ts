/**
 * The few libc calls geckos3 makes through FFI, where Deno's own API costs
 * more than the system call: `flock` without the blocking thread pool (see
 * flock.ts), `access` to ask whether a path exists without the ~20 µs a
 * thrown NotFound costs, and open/read/close to read a small file whole
 * without a resource, a FileInfo and an exception for a missing one. Loaded
 * once; null where libc cannot be loaded (other OS, no FFI permission), and
 * callers then use Deno's API.
 */

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  flockWait: { name: "flock", parameters: ["i32", "i32"], result: "i32", nonblocking: true },
  access: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  errnoLocation: { name: "__errno_location", parameters: [], result: "pointer" },
} as const;

/** The loaded symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const LIBRARY: Partial<Record<typeof Deno.build.os, string>> = {
  linux: "libc.so.6",
  darwin: "libSystem.B.dylib",
};

/** open(2) flags for read-write, create and close-on-exec, per OS. */
export const O_RDWR_CREAT_CLOEXEC: number | undefined = ({
  linux: 0o2 | 0o100 | 0o2000000,
  darwin: 0x2 | 0x200 | 0x1000000,
} as Partial<Record<typeof Deno.build.os, number>>)[Deno.build.os];

let loaded: Libc | null | undefined;

/** libc's symbols, or null where they cannot be loaded. */
export function libc(): Libc | null {
  if (loaded !== undefined) return loaded;
  const name = LIBRARY[Deno.build.os];
  try {
    loaded = name ? Deno.dlopen(name, SYMBOLS).symbols : null;
  } catch {
    loaded = null;
  }
  return loaded;
}

const encoder = new TextEncoder();

/** A path as a NUL-terminated C string. */
export function cString(path: string): Uint8Array {
  return encoder.encode(path + "\0");
}

/**
 * True when nothing is at `path` (not even a dangling link is told apart:
 * `access` follows links), answered without an exception; false when
 * something may be there or libc is not loaded.
 */
export function surelyMissing(path: string): boolean {
  const c = libc();
  // A NUL would cut the C string short and ask about another path: Deno's own call rejects it.
  return c !== null && !path.includes("\0") && c.access(scratchCString(path), 0) !== 0;
}

const X_OK = 1;

/**
 * True when nothing is at `path` although its directory is there to be
 * searched: where opening `path` would throw NotFound, answered without the
 * exception. False in every other case (a parent missing or not a directory,
 * a directory that cannot be searched, libc not loaded), which opening then
 * tells apart. Like surelyMissing, but never hides an unreadable path.
 */
export function surelyAbsent(path: string): boolean {
  if (!surelyMissing(path)) return false;
  const parent = path.slice(0, path.lastIndexOf("/"));
  return parent !== "" && libc()!.access(scratchCString(parent), X_OK) === 0;
}

const O_RDONLY_NONBLOCK_CLOEXEC: number | undefined = ({
  linux: 0o4000 | 0o2000000,
  darwin: 0x4 | 0x1000000,
} as Partial<Record<typeof Deno.build.os, number>>)[Deno.build.os];
// errno values, the same on Linux and macOS.
/** No such file or directory. */
export const ENOENT = 2;
/** A path component is not a directory. */
export const ENOTDIR = 20;
/** Interrupted by a signal: try again. */
export const EINTR = 4;

/**
 * The whole content of the file at `path` (a sidecar: a few hundred bytes),
 * read with plain system calls: null when nothing is there, undefined when
 * this cannot tell (libc not loaded, any other error), and the caller asks
 * Deno, which throws the right error. Opened non-blocking, so a FIFO placed
 * by hand cannot hang the thread; a directory reads as an error.
 */
export function readSmallFile(path: string): Uint8Array<ArrayBuffer> | null | undefined {
  const c = libc();
  if (c === null || O_RDONLY_NONBLOCK_CLOEXEC === undefined || path.includes("\0")) {
    return undefined;
  }
  const fd = c.open(scratchCString(path), O_RDONLY_NONBLOCK_CLOEXEC, 0);
  if (fd < 0) {
    const errno = errnoOf(c);
    return errno === ENOENT || errno === ENOTDIR ? null : undefined;
  }
  try {
    return readAll(c, fd);
  } finally {
    c.close(fd);
  }
}

/** Everything left to read from `fd`, or undefined on an error. */
function readAll(c: Libc, fd: number): Uint8Array<ArrayBuffer> | undefined {
  let buf = readBuffer;
  let filled = 0;
  for (;;) {
    const n = readFully(c, fd, buf.subarray(filled));
    if (n < 0) return undefined;
    filled += n;
    if (filled < buf.length) return buf.slice(0, filled);
    const bigger = new Uint8Array(buf.length * 2);
    bigger.set(buf);
    buf = bigger;
  }
}

/** The calls readFully and errnoOf make, from whichever loaded copy of libc has them. */
export interface ReadCalls {
  read(fd: number, buf: Uint8Array, count: bigint): number | bigint;
  errnoLocation(): Deno.PointerValue;
}

/**
 * Reads from `fd` into `into` until it is full or the file ends (a signal's
 * interruption retried): how many bytes were read, or -1 on an error.
 */
export function readFully(c: ReadCalls, fd: number, into: Uint8Array): number {
  let filled = 0;
  while (filled < into.length) {
    const n = Number(c.read(fd, into.subarray(filled), BigInt(into.length - filled)));
    if (n < 0 && errnoOf(c) === EINTR) continue;
    if (n < 0) return -1;
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/** The calling thread's errno after a failed call. */
export function errnoOf(c: Pick<ReadCalls, "errnoLocation">): number {
  return new Deno.UnsafePointerView(c.errnoLocation()!).getInt32();
}

/** Reused by readSmallFile: the calls are synchronous, and what is read is copied out. */
const readBuffer = new Uint8Array(8 * 1024);

/** Reused by scratchCString: FFI calls are synchronous, so one buffer serves every call. */
const scratch = new Uint8Array(16 * 1024);

/** `path` as a C string in a shared buffer, valid until the next call (long paths get their own). */
function scratchCString(path: string): Uint8Array {
  const { read, written } = encoder.encodeInto(path, scratch);
  if (read < path.length || written >= scratch.length) return cString(path);
  scratch[written] = 0;
  return scratch;
}

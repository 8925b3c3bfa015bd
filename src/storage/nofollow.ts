/**
 * The links policy: a bucket directory may itself be a link (served where it
 * points), but nothing below a bucket is reached through a link, so a link
 * placed by hand can never make geckos3 read, write or delete a file outside
 * its bucket. Listings already skip links (a directory entry's type); reads,
 * writes and deletes ask here.
 *
 * On Linux 5.6+ a check is one `openat2(RESOLVE_NO_SYMLINKS)` below a
 * descriptor of the data dir, through FFI
 * (https://man7.org/linux/man-pages/man2/openat2.2.html); a read compares the
 * file found with the one it opened, so a link swapped in between is caught
 * too. Elsewhere real paths are compared (slower, and not atomic).
 */
import { SEP } from "./paths.ts";
import { ENOENT, ENOTDIR, errnoOf, readFully } from "./libc.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  syscall: { parameters: ["i64", "i32", "buffer", "buffer", "usize"], result: "i64" },
  errnoLocation: { name: "__errno_location", parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const SYS_OPENAT2 = 437n; // the same number on every Linux architecture
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const RESOLVE_NO_SYMLINKS = 0x04n;
const ELOOP = 40;
/** struct open_how { u64 flags; u64 mode; u64 resolve; }: a path handle, no link followed. */
const HOW = new Uint8Array(
  new BigUint64Array([BigInt(O_PATH | O_CLOEXEC), 0n, RESOLVE_NO_SYMLINKS]).buffer,
);
const HOW_SIZE = BigInt(HOW.byteLength);
const O_NONBLOCK = 0o4000;
const O_NOCTTY = 0o400;
/** The same for reading the file itself (non-blocking: a FIFO placed by hand cannot hang the thread). */
const HOW_READ = new Uint8Array(
  new BigUint64Array([BigInt(O_NONBLOCK | O_NOCTTY | O_CLOEXEC), 0n, RESOLVE_NO_SYMLINKS]).buffer,
);
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** Where struct stat keeps st_mode: the only field the two 64-bit layouts place apart. */
const MODE_OFFSET = Deno.build.arch === "aarch64" ? 16 : 24;

/** What LinkCheck.readWhole found at a path below a bucket. */
export type WholeRead =
  /** A file, read whole (or, larger and asked to, only described). */
  | { kind: "file"; info: Deno.FileInfo; bytes?: Uint8Array<ArrayBuffer> }
  /** A file larger than asked for: left to a stream. */
  | { kind: "large" }
  | { kind: "directory" }
  /** Nothing, a link on the way, or something that is neither a file nor a directory. */
  | { kind: "none" };

/** A file's device and inode, as Deno.FileInfo gives them. */
export interface FileKey {
  dev: number;
  ino: number | null;
}

/** How a path below a bucket resolves without following links. */
export type Resolution = "same" | "other" | "link" | "missing";

let loaded: Libc | null | undefined;

/** libc with a working openat2, or null (another OS or architecture, an older kernel, no FFI). */
function openat2Libc(): Libc | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) return null;
  try {
    const c = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    const root = c.open(cString("/"), O_PATH | O_CLOEXEC);
    const fd = Number(c.syscall(SYS_OPENAT2, root, cString("."), HOW, HOW_SIZE));
    c.close(root);
    if (fd >= 0) {
      c.close(fd);
      loaded = c;
    }
  } catch {
    loaded = null;
  }
  return loaded;
}

const encoder = new TextEncoder();
const cString = (s: string) => encoder.encode(s + "\0");

/** Answers, for one data dir, whether paths below its buckets pass through links. */
export class LinkCheck {
  readonly #c = openat2Libc();
  readonly #root: number;
  readonly #stat = new Uint8Array(256);
  readonly #statView = new DataView(this.#stat.buffer);

  /** For the data dir `root` (kept open as a path handle until close()). */
  constructor(private readonly root: string) {
    this.#root = this.#c ? this.#c.open(cString(root), O_PATH | O_CLOEXEC) : -1;
  }

  /** Releases the data dir's handle. */
  close(): void {
    if (this.#root >= 0) this.#c!.close(this.#root);
  }

  /**
   * How `names` below `bucket` resolve with no link followed: to the file
   * `expected` describes ("same"), to another one ("other": replaced since it
   * was opened), not at all because a link is on the way ("link"), or to
   * nothing ("missing"). Without `expected`, a file or directory there is "same".
   */
  resolve(bucket: string, names: readonly string[], expected?: FileKey): Resolution {
    const c = this.#c;
    if (c === null || this.#root < 0) return this.#byRealPath(bucket, names);
    const fd = this.#openBelow(bucket, names, HOW);
    if (fd === -ELOOP) return "link";
    if (fd < 0) return "missing";
    try {
      if (expected === undefined) return "same";
      if (c.fstat(fd, this.#stat) !== 0) return "missing";
      const same = Number(this.#statView.getBigUint64(0, true)) === expected.dev &&
        Number(this.#statView.getBigUint64(8, true)) === expected.ino;
      return same ? "same" : "other";
    } finally {
      c.close(fd);
    }
  }

  /**
   * Reads the file at `names` below `bucket` whole when it is at most
   * `opts.maxBytes` long (a larger one is "large", or with `describeLarger`
   * described by what fstat says of it), reached with no link followed (so what is read is the
   * object: no check after the fact, no race). Null when this cannot tell
   * (no openat2, an unexpected error, the file shrank while read): the
   * caller then opens it with Deno.
   */
  readWhole(
    bucket: string,
    names: readonly string[],
    opts: { maxBytes: number; describeLarger?: boolean },
  ): WholeRead | null {
    const c = this.#c;
    if (c === null || this.#root < 0) return null;
    const fd = this.#openBelow(bucket, names, HOW_READ);
    if (fd === -ELOOP || fd === -ENOENT || fd === -ENOTDIR) return { kind: "none" };
    if (fd < 0) return null;
    try {
      if (c.fstat(fd, this.#stat) !== 0) return null;
      const info = fileInfo(this.#statView);
      if (info.isDirectory) return { kind: "directory" };
      if (!info.isFile) return { kind: "none" };
      if (info.size > opts.maxBytes) {
        return opts.describeLarger ? { kind: "file", info } : { kind: "large" };
      }
      const bytes = new Uint8Array(info.size);
      return readFully(c, fd, bytes) === bytes.length ? { kind: "file", info, bytes } : null;
    } finally {
      c.close(fd);
    }
  }

  /** True when a link stands on the way to `names` below `bucket` (a missing path has none). */
  crossesLink(bucket: string, names: readonly string[]): boolean {
    return names.length > 0 && this.resolve(bucket, names) === "link";
  }

  /**
   * `names` below `bucket` opened as `how` asks, with no link followed but
   * the bucket's own: a descriptor, or minus the errno (ELOOP, ENOENT, ...).
   */
  #openBelow(bucket: string, names: readonly string[], how: Uint8Array): number {
    const fd = this.#openat2(this.#root, `${bucket}/${names.join("/")}`, how);
    if (fd !== -ELOOP) return fd;
    // The bucket itself may be a link, which is allowed: resolve the rest below where it points.
    const c = this.#c!;
    const dir = c.open(cString(this.root + SEP + bucket), O_PATH | O_CLOEXEC);
    if (dir < 0) return -errnoOf(c) || -1;
    const below = this.#openat2(dir, names.join("/"), how);
    c.close(dir);
    return below;
  }

  /** A descriptor, or minus the errno (ELOOP, ENOENT, ...). */
  #openat2(dir: number, path: string, how: Uint8Array): number {
    const c = this.#c!;
    const fd = Number(c.syscall(SYS_OPENAT2, dir, cString(path), how, HOW_SIZE));
    return fd >= 0 ? fd : -errnoOf(c) || -1;
  }

  /** The fallback: the real path must be the bucket's real path plus exactly these names. */
  #byRealPath(bucket: string, names: readonly string[]): Resolution {
    const bucketDir = this.root + SEP + bucket;
    let bucketReal: string;
    try {
      bucketReal = Deno.realPathSync(bucketDir);
    } catch {
      return "missing";
    }
    // The deepest existing ancestor decides: below it, nothing exists to be a link.
    for (let n = names.length; n > 0; n--) {
      const rest = names.slice(0, n).join(SEP);
      try {
        return Deno.realPathSync(bucketDir + SEP + rest) === bucketReal + SEP + rest
          ? n === names.length ? "same" : "missing"
          : "link";
      } catch {
        continue;
      }
    }
    return "missing";
  }
}

/** A Deno.FileInfo from a 64-bit Linux struct stat, as Deno.statSync would give it. */
function fileInfo(v: DataView): Deno.FileInfo {
  const u64 = (at: number) => Number(v.getBigUint64(at, true));
  const time = (at: number) => new Date(u64(at) * 1000 + Math.floor(u64(at + 8) / 1e6));
  const arm = MODE_OFFSET === 16;
  const mode = v.getUint32(MODE_OFFSET, true);
  const type = mode & S_IFMT;
  return {
    isFile: type === S_IFREG,
    isDirectory: type === S_IFDIR,
    isSymlink: type === 0o120000,
    isBlockDevice: type === 0o060000,
    isCharDevice: type === 0o020000,
    isFifo: type === 0o010000,
    isSocket: type === 0o140000,
    size: u64(48),
    mtime: time(88),
    atime: time(72),
    ctime: time(104),
    birthtime: null,
    dev: u64(0),
    ino: u64(8),
    mode,
    nlink: arm ? v.getUint32(20, true) : u64(16),
    uid: v.getUint32(arm ? 24 : 28, true),
    gid: v.getUint32(arm ? 28 : 32, true),
    rdev: u64(arm ? 32 : 40),
    blksize: arm ? v.getInt32(56, true) : u64(56),
    blocks: u64(64),
  };
}

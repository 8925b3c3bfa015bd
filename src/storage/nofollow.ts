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

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  syscall: { parameters: ["i64", "i32", "buffer", "buffer", "usize"], result: "i64" },
  errnoLocation: { name: "__errno_location", parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const SYS_OPENAT2 = 437n; // the same number on every Linux architecture
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const RESOLVE_NO_SYMLINKS = 0x04n;
const ELOOP = 40;
const ENOENT = 2;
/** struct open_how { u64 flags; u64 mode; u64 resolve; }: a path handle, no link followed. */
const HOW = new Uint8Array(
  new BigUint64Array([BigInt(O_PATH | O_CLOEXEC), 0n, RESOLVE_NO_SYMLINKS]).buffer,
);
const HOW_SIZE = BigInt(HOW.byteLength);

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
    let fd = this.#openat2(this.#root, `${bucket}/${names.join("/")}`);
    if (fd === -ELOOP) {
      // The bucket itself may be a link, which is allowed: resolve the rest below where it points.
      const dir = c.open(cString(this.root + SEP + bucket), O_PATH | O_CLOEXEC);
      if (dir < 0) return "missing";
      fd = this.#openat2(dir, names.join("/"));
      c.close(dir);
    }
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

  /** True when a link stands on the way to `names` below `bucket` (a missing path has none). */
  crossesLink(bucket: string, names: readonly string[]): boolean {
    return names.length > 0 && this.resolve(bucket, names) === "link";
  }

  /** A descriptor, or minus the errno (ELOOP, ENOENT, ...). */
  #openat2(dir: number, path: string): number {
    const c = this.#c!;
    const fd = Number(c.syscall(SYS_OPENAT2, dir, cString(path), HOW, HOW_SIZE));
    if (fd >= 0) return fd;
    const errno = new Deno.UnsafePointerView(c.errnoLocation()!).getInt32();
    return errno === ELOOP ? -ELOOP : errno === ENOENT ? -ENOENT : -errno || -1;
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

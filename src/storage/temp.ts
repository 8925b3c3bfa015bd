/**
 * The temp area `<data-dir>/.geckos3/tmp/<instance>/`: where bodies are
 * streamed before an atomic rename, and where promotions are journaled.
 * Each server process owns one instance directory with a heartbeat file;
 * directories of dead processes are repaired and removed at start-up and
 * periodically, so crash leftovers never accumulate and a live process
 * sharing the data dir is never disturbed.
 */
import { createMd5, type Md5 } from "../checksum/md5.ts";
import { SEP } from "./paths.ts";
import { type FileIdentity, identityOf } from "./types.ts";
import { isNotFound, removeQuietly, writeAll } from "./fsutil.ts";
import {
  type BodyReader,
  bodyReader,
  MIN_READ_VIEW,
  OverlappedWriter,
  readInto,
  writeBody,
} from "./writer.ts";
import { WRITE_BUDGET } from "./budget.ts";

/** A body fully written to a temp file. */
export interface TempFile {
  /** Absolute path of the temp file. */
  path: string;
  /** Bytes written. */
  size: number;
  /** MD5 of the bytes (empty when not computed). */
  md5: Uint8Array;
  /** Identity of the file (preserved by rename). */
  identity: FileIdentity;
}

/** A journaled promotion in progress. */
export interface PromotionJob {
  /** Bucket of the promoted object. */
  bucket: string;
  /** Path segments of the promoted object. */
  segments: string[];
  /** Where the data file's bytes are held during the move. */
  dataHold: string;
  /** Where the sidecar is held during the move. */
  metaHold: string;
}

const HEARTBEAT = "heartbeat.json";
/** Lock file each process holds exclusively while it runs. */
const ALIVE_LOCK = "alive.lock";
const HEARTBEAT_MS = 30_000;
const STALE_MS = 120_000;
/** Bodies that end within this many bytes are written in one go, synchronously (see write()). */
export const SMALL_BODY = 256 * 1024;
/** Buffer size for multipart assembly (two are used). */
const CONCAT_BUFFER = 8 * 1024 * 1024;

/** The temp area of one server process. */
export class TempArea {
  /** This process's own directory. */
  readonly dir: string;
  #timer: ReturnType<typeof setInterval> | undefined;
  #counter = 0;
  #alive: Deno.FsFile | undefined;
  /** Directories of live peers whose lock we are waiting on (one waiter each). */
  readonly #watched = new Set<string>();
  readonly #prefix: string;

  /** Creates the area under `root`; call init(). */
  constructor(readonly root: string, readonly fsync: boolean) {
    const id = `${Date.now().toString(36)}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.dir = root + SEP + id;
    this.#prefix = this.dir + SEP;
  }

  /** Creates this process's directory and cleans those of dead processes. */
  async init(recover: (job: PromotionJob) => Promise<void>): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    // Held for the life of the process; the kernel releases it however the process ends.
    this.#alive = await Deno.open(this.#prefix + ALIVE_LOCK, {
      read: true,
      write: true,
      create: true,
    });
    await this.#alive.lock(true);
    await this.#beat();
    await this.sweep(recover);
    const timer = setInterval(() => {
      this.#beat().then(() => this.sweep(recover)).catch(() => {});
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
  async sweep(recover: (job: PromotionJob) => Promise<void>): Promise<void> {
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
      if (!(await this.#isDead(dir, () => this.sweep(recover)))) continue;
      for await (const f of Deno.readDir(dir)) {
        if (!f.name.endsWith(".promote.json")) continue;
        try {
          const job = JSON.parse(await Deno.readTextFile(dir + SEP + f.name)) as PromotionJob;
          await recover(job);
        } catch (err) {
          console.error(
            JSON.stringify({
              level: "error",
              msg: "promotion recovery failed",
              error: String(err),
            }),
          );
        }
      }
      await removeQuietly(dir, true);
    }
  }

  /** A fresh temp path in this process's directory. */
  newPath(suffix = ""): string {
    return `${this.#prefix}${(++this.#counter).toString(36)}-${crypto.randomUUID()}${suffix}`;
  }

  /**
   * Concatenates file ranges into a new temp file (multipart assembly), reading
   * into one 8 MiB buffer while the other is being written; `onChunk` sees
   * every byte in order (for full-object checksums). Removes the temp file
   * on error.
   */
  async concat(
    parts: readonly { path: string; offset: number; size: number }[],
    onChunk?: (b: Uint8Array) => void,
  ): Promise<TempFile> {
    const path = this.newPath();
    const out = await Deno.open(path, { write: true, createNew: true });
    const buffers = [new Uint8Array(CONCAT_BUFFER), new Uint8Array(CONCAT_BUFFER)];
    let current = 0;
    const writer = new OverlappedWriter(out);
    let size = 0;
    try {
      for (const part of parts) {
        const file = await Deno.open(part.path, { read: true });
        try {
          if (part.offset > 0) await file.seek(part.offset, Deno.SeekMode.Start);
          for (let left = part.size; left > 0;) {
            const buf = buffers[current];
            let fill = 0;
            while (fill < Math.min(buf.length, left)) {
              const n = await file.read(buf.subarray(fill, Math.min(buf.length, left)));
              if (n === null) throw new Error(`part file ended early: ${part.path}`);
              fill += n;
            }
            left -= fill;
            size += fill;
            onChunk?.(buf.subarray(0, fill));
            await writer.write(buf.subarray(0, fill)); // the other buffer is free once this returns
            current ^= 1;
          }
        } finally {
          file.close();
        }
      }
      await writer.finish();
      if (this.fsync) await out.syncData();
      const info = await out.stat();
      out.close();
      return { path, size, md5: new Uint8Array(0), identity: identityOf(info) };
    } catch (e) {
      await writer.finish().catch(() => {});
      try {
        out.close();
      } catch {
        // already closed
      }
      await removeQuietly(path);
      throw e;
    }
  }

  /**
   * Streams `body` into a new temp file, computing its MD5 unless told not
   * to. On any error the temp file is removed and the error rethrown.
   *
   * A body that ends within SMALL_BODY bytes is written with synchronous
   * calls (without -fsync): creating files in one directory from many
   * threads at once makes the kernel spin on the directory's lock, and one
   * thread doing them in turn is faster here (see docs/performance.md).
   * A body already in memory (bytes) is one of those.
   */
  async write(
    body: ReadableStream<Uint8Array> | Uint8Array | null,
    computeMd5 = true,
  ): Promise<TempFile> {
    if (body instanceof Uint8Array) {
      return await this.#writeHead([body], body.byteLength, undefined, computeMd5);
    }
    const reader = body ? bodyReader(body) : undefined;
    if (reader instanceof ReadableStreamBYOBReader) {
      return await this.#writeRead(reader, computeMd5);
    }
    const head: Uint8Array[] = [];
    let size = 0;
    let done = reader === undefined;
    try {
      while (!done && size <= SMALL_BODY) {
        const r = await reader!.read();
        if (r.done) done = true;
        else {
          head.push(r.value);
          size += r.value.byteLength;
        }
      }
    } catch (e) {
      reader?.releaseLock();
      throw e;
    }
    return await this.#writeHead(head, size, done ? undefined : reader, computeMd5);
  }

  /**
   * Writes a body's head (`size` bytes), then `rest` of it: undefined when
   * the body ended within the head, which is then written synchronously
   * (unless -fsync, see write()); anything else is streamed.
   */
  async #writeHead(
    head: Uint8Array[],
    size: number,
    rest: BodyReader | undefined,
    computeMd5: boolean,
  ): Promise<TempFile> {
    if (rest === undefined && !this.fsync) return this.#writeSmall(head, size, computeMd5);
    return await this.#writeStream(head, rest, computeMd5);
  }

  /**
   * write() for a byte stream (Deno's request bodies): its head is read into
   * a reused buffer, the rest into the writer's own (see writer.ts), so no
   * buffer is made per network chunk.
   */
  async #writeRead(reader: ReadableStreamBYOBReader, computeMd5: boolean): Promise<TempFile> {
    // Room for a whole read view past SMALL_BODY (see MIN_READ_VIEW). Each read asks for at most
    // MIN_READ_VIEW: with the whole buffer as the first view, Deno kept far more of the body in
    // native memory while it was written (64 uploads of 64 MiB at once: 345 MiB peak against 234;
    // with 128 KiB transfer buffers, 2.5 GiB against 128 MiB).
    let head = WRITE_BUDGET.take(SMALL_BODY + MIN_READ_VIEW);
    try {
      let size = 0;
      let done = false;
      try {
        while (!done && size <= SMALL_BODY) {
          const r = await readInto(reader, head, size, MIN_READ_VIEW);
          head = r.buffer;
          if (r.read === null) done = true;
          else size += r.read;
        }
      } catch (e) {
        reader.releaseLock();
        throw e;
      }
      const filled = [head.subarray(0, size)];
      return await this.#writeHead(filled, size, done ? undefined : reader, computeMd5);
    } finally {
      // Written (or failed) by now: nothing holds it. One a failed read moved is empty.
      WRITE_BUDGET.give(head);
    }
  }

  /** Writes a body already in memory with synchronous calls. */
  #writeSmall(chunks: Uint8Array[], size: number, computeMd5: boolean): TempFile {
    const hash = computeMd5 ? createMd5() : null;
    for (const c of chunks) hash?.update(c);
    const path = this.newPath();
    const file = Deno.openSync(path, { write: true, createNew: true });
    try {
      for (const c of chunks) {
        for (let off = 0; off < c.byteLength;) off += file.writeSync(c.subarray(off));
      }
      const info = file.statSync();
      return { path, size, md5: digestOf(hash), identity: identityOf(info) };
    } catch (e) {
      try {
        Deno.removeSync(path);
      } catch {
        // nothing to remove
      }
      throw e;
    } finally {
      file.close();
    }
  }

  /** Writes `head`, then the rest of `reader`, keeping one disk write in flight. */
  async #writeStream(
    head: Uint8Array[],
    reader: BodyReader | undefined,
    computeMd5: boolean,
  ): Promise<TempFile> {
    const path = this.newPath();
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { write: true, createNew: true });
    } catch (e) {
      await reader?.cancel(e).catch(() => {});
      throw e;
    }
    try {
      const { size, md5 } = await writeBody(file, head, reader, computeMd5);
      if (this.fsync) await file.syncData();
      const info = await file.stat();
      file.close();
      return { path, size, md5: md5 ?? new Uint8Array(0), identity: identityOf(info) };
    } catch (e) {
      try {
        file.close();
      } catch {
        // already closed
      }
      await removeQuietly(path);
      throw e;
    }
  }

  /** Writes a small text file (a sidecar) into the temp area and returns its path. */
  async writeText(text: string): Promise<string> {
    const path = this.newPath(".json");
    try {
      if (!this.fsync) {
        Deno.writeTextFileSync(path, text, { createNew: true }); // see write(): one thread creates
        return path;
      }
      const file = await Deno.open(path, { write: true, createNew: true });
      try {
        await writeAll(file, new TextEncoder().encode(text));
        await file.syncData();
      } finally {
        file.close();
      }
      return path;
    } catch (e) {
      // A write cut short (disk full) leaves nothing behind: the file was created, not filled.
      await removeQuietly(path);
      throw e;
    }
  }

  /** fsyncs a directory so renames into it are durable (no-op where directories cannot be opened). */
  async syncDir(dir: string): Promise<void> {
    if (Deno.build.os === "windows") return;
    const f = await Deno.open(dir);
    try {
      await f.sync();
    } finally {
      f.close();
    }
  }

  /** Journals a promotion; call done() when the move finished. */
  async beginPromotion(
    target: { bucket: string; segments: string[] },
  ): Promise<PromotionJob & { done(): Promise<void> }> {
    const base = this.newPath();
    const job: PromotionJob = { ...target, dataHold: base + ".data", metaHold: base + ".meta" };
    const journal = base + ".promote.json";
    await Deno.writeTextFile(journal, JSON.stringify(job));
    return { ...job, done: () => removeQuietly(journal) };
  }
}

/** The digest of `hash`, or no bytes when it was not computed. */
function digestOf(hash: Md5 | null): Uint8Array {
  return hash ? hash.digest() : new Uint8Array(0);
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

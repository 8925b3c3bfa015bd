/**
 * Temp files: where bodies are streamed before an atomic rename, in the
 * process's own area (see instance.ts), so a crash leaves nothing in a
 * bucket and its leftovers are removed with the area.
 */
import type { Md5 } from "../checksum/md5.ts";
import { createEtagHash, type EtagHashName } from "../checksum/etag_hash.ts";
import type { InstanceArea } from "./instance.ts";
import { type FileIdentity, identityOf } from "./types.ts";
import { removeQuietly, writeAll } from "./fsutil.ts";
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
  /** The bytes' ETag digest (empty when not computed). */
  digest: Uint8Array;
  /** The hash that made `digest` (MD5 unless the store's ETags are XXH3). */
  hash: EtagHashName;
  /** Identity of the file (preserved by rename). */
  identity: FileIdentity;
}

/** Bodies that end within this many bytes are written in one go, synchronously (see write()). */
export const SMALL_BODY = 256 * 1024;
/** Buffer size for multipart assembly (two are used). */
const CONCAT_BUFFER = 8 * 1024 * 1024;

/** The temp files of one server process. */
export class TempArea {
  /**
   * Temp files in `area`; with `fsync`, their data is synced before they are
   * handed over. `etagHash` is the store's ETag hash (-etag).
   */
  constructor(
    private readonly area: InstanceArea,
    readonly fsync: boolean,
    readonly etagHash: EtagHashName = "md5",
  ) {}

  /** The process's directory the temp files are in. */
  get dir(): string {
    return this.area.dir;
  }

  /** A fresh temp path. */
  newPath(suffix = ""): string {
    return this.area.newPath(suffix);
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
      return unhashedFile(path, info);
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
   * Streams `body` into a new temp file, computing its ETag digest with
   * `hash` (none when null). On any error the temp file is removed and the
   * error rethrown.
   *
   * A body that ends within SMALL_BODY bytes is written with synchronous
   * calls (without -fsync): creating files in one directory from many
   * threads at once makes the kernel spin on the directory's lock, and one
   * thread doing them in turn is faster here (see docs/performance.md).
   * A body already in memory (bytes) is one of those.
   */
  async write(
    body: ReadableStream<Uint8Array> | Uint8Array | null,
    hash: EtagHashName | null = "md5",
  ): Promise<TempFile> {
    if (body instanceof Uint8Array) {
      return await this.#writeHead([body], body.byteLength, undefined, hash);
    }
    const reader = body ? bodyReader(body) : undefined;
    if (reader instanceof ReadableStreamBYOBReader) {
      return await this.#writeRead(reader, hash);
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
    return await this.#writeHead(head, size, done ? undefined : reader, hash);
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
    hash: EtagHashName | null,
  ): Promise<TempFile> {
    if (rest === undefined && !this.fsync) return this.#writeSmall(head, size, hash);
    return await this.#writeStream(head, rest, hash);
  }

  /**
   * write() for a byte stream (Deno's request bodies): its head is read into
   * a reused buffer, the rest into the writer's own (see writer.ts), so no
   * buffer is made per network chunk.
   */
  async #writeRead(reader: ReadableStreamBYOBReader, hash: EtagHashName | null): Promise<TempFile> {
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
      return await this.#writeHead(filled, size, done ? undefined : reader, hash);
    } finally {
      // Written (or failed) by now: nothing holds it. One a failed read moved is empty.
      WRITE_BUDGET.give(head);
    }
  }

  /** Writes a body already in memory with synchronous calls. */
  #writeSmall(chunks: Uint8Array[], size: number, hash: EtagHashName | null): TempFile {
    const hasher = hash ? createEtagHash(hash) : null;
    for (const c of chunks) hasher?.hash.update(c);
    const path = this.newPath();
    const file = Deno.openSync(path, { write: true, createNew: true });
    try {
      for (const c of chunks) {
        for (let off = 0; off < c.byteLength;) off += file.writeSync(c.subarray(off));
      }
      const info = file.statSync();
      return {
        path,
        size,
        digest: digestOf(hasher?.hash ?? null),
        hash: hasher?.name ?? "md5",
        identity: identityOf(info),
      };
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
    hash: EtagHashName | null,
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
      const { size, digest, hash: made } = await writeBody(file, head, reader, hash);
      if (this.fsync) await file.syncData();
      const info = await file.stat();
      file.close();
      return {
        path,
        size,
        digest: digest ?? new Uint8Array(0),
        hash: made,
        identity: identityOf(info),
      };
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

  /**
   * Writes a small text file (a sidecar) into the temp area and returns its
   * path; its data is synced with -fsync, or when `durable` asks for it.
   */
  async writeText(text: string, opts: { durable?: boolean } = {}): Promise<string> {
    const path = this.newPath(".json");
    try {
      if (!this.fsync && !opts.durable) {
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
}

/** A file whose bytes were not hashed (assembled or linked): its size and identity from `info`. */
export function unhashedFile(path: string, info: Deno.FileInfo): TempFile {
  return {
    path,
    size: info.size,
    digest: new Uint8Array(0),
    hash: "md5",
    identity: identityOf(info),
  };
}

/** The MD5 of a written body when its digest is one, else no bytes (to check a Content-MD5 with). */
export function md5Of(written: { digest: Uint8Array; hash: EtagHashName }): Uint8Array {
  return written.hash === "md5" ? written.digest : new Uint8Array(0);
}

/** The digest of `hash`, or no bytes when it was not computed. */
function digestOf(hash: Md5 | null): Uint8Array {
  return hash ? hash.digest() : new Uint8Array(0);
}

/**
 * Writing request bodies to files: network chunks are coalesced into large
 * buffers, and one buffer is written and hashed while the next is received.
 */
import { WRITE_BUDGET } from "./budget.ts";
import { writeAll } from "./fsutil.ts";
import type { Md5 } from "../checksum/md5.ts";
import { createEtagHash, type EtagHashName } from "../checksum/etag_hash.ts";

/** What writeBody wrote: its length, and its ETag digest when asked for (and which hash made it). */
export interface WrittenBody {
  size: number;
  digest: Uint8Array | null;
  hash: EtagHashName;
}

/**
 * A body's reader. BYOB where the stream is a byte stream, as Deno's request
 * bodies are: the body is read straight into the writer's own buffers, with
 * no new buffer per network chunk. (Those chunks are garbage the collector
 * frees late: a 2 GiB upload read chunk by chunk peaked 60 MiB higher, and
 * draining it took three times as long.) Else the default reader.
 */
export type BodyReader = ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;

/** The best reader for `stream` (see BodyReader). */
export function bodyReader(stream: ReadableStream<Uint8Array>): BodyReader {
  try {
    return stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader(); // not a byte stream
  }
}

/** What a BYOB reader reads into where the bytes are then copied elsewhere. */
const SCRATCH_BYTES = 256 * 1024;

/**
 * The smallest view a BYOB read of a request body is given. Deno 2.9's
 * request body can wait forever on a read into a tiny view (one byte, at a
 * 256 KiB boundary, reproduced): a buffer with less room left than this is
 * written out first.
 */
export const MIN_READ_VIEW = 64 * 1024;

/**
 * One BYOB read into `buffer` from `offset` on, at most `limit` bytes (give it
 * at least MIN_READ_VIEW bytes of room). The read moves the buffer's memory
 * into a new ArrayBuffer: the buffer to go on with is returned with the bytes
 * read, null at the end of the body. (After a cancel the memory is gone: an
 * empty buffer.)
 */
export async function readInto(
  reader: ReadableStreamBYOBReader,
  buffer: Uint8Array<ArrayBuffer>,
  offset: number,
  limit = buffer.byteLength - offset,
): Promise<{ buffer: Uint8Array<ArrayBuffer>; read: number | null }> {
  const { done, value } = await reader.read(buffer.subarray(offset, offset + limit));
  return {
    buffer: value ? new Uint8Array(value.buffer) : new Uint8Array(0),
    read: done ? null : value.byteLength,
  };
}

/**
 * The rest of a body, piece by piece. A BYOB reader's pieces share one
 * buffer: each is valid only until the next one is asked for.
 */
async function* pieces(reader: BodyReader): AsyncGenerator<Uint8Array> {
  if (!(reader instanceof ReadableStreamBYOBReader)) {
    for (let r = await reader.read(); !r.done; r = await reader.read()) yield r.value;
    return;
  }
  let scratch = WRITE_BUDGET.take(SCRATCH_BYTES);
  try {
    for (;;) {
      const r = await readInto(reader, scratch, 0);
      scratch = r.buffer;
      if (r.read === null) return;
      yield scratch.subarray(0, r.read);
    }
  } finally {
    WRITE_BUDGET.give(scratch); // the consumer is done with the last piece when it stops asking
  }
}

/**
 * Writes `head`, then the rest of `reader`, to `file` at its current
 * position; returns the bytes written and, when `hash` is set, their digest by
 * that hash (or by MD5 where src/checksum/etag_hash.ts falls back to it). On
 * error the reader is cancelled; the file is left to the caller.
 *
 * Two buffers alternate: one is filled (a BYOB reader reads into it, other
 * chunks are copied in, or written as they are when large) while the other
 * is written to disk and hashed, both off this thread where libcrypto's MD5
 * is loaded (src/checksum/md5.ts).
 */
export async function writeBody(
  file: Deno.FsFile,
  head: readonly Uint8Array[],
  reader: BodyReader | undefined,
  hashName: EtagHashName | null,
): Promise<WrittenBody> {
  const hasher = hashName ? createEtagHash(hashName) : null;
  const hash = hasher?.hash ?? null;
  const budget = WRITE_BUDGET.open();
  let size = 0;
  // Two buffers alternate; their size is chosen once, from how many uploads are in progress.
  const buffers = [new Uint8Array(0), new Uint8Array(0)];
  try {
    const capacity = budget.bufferSize();
    let current = 0;
    let fill = 0;
    const writer = new OverlappedWriter(file, hash);
    /** Starts writing and hashing the current buffer (if it holds anything); switches to the other. */
    const flush = async () => {
      if (fill === 0) return;
      await writer.write(buffers[current].subarray(0, fill));
      current ^= 1;
      fill = 0;
    };
    const add = async (chunk: Uint8Array) => {
      size += chunk.byteLength;
      if (chunk.byteLength >= capacity / 2) {
        await flush();
        await writer.write(chunk);
        return;
      }
      if (fill + chunk.byteLength > buffers[current].byteLength) {
        await flush();
        // After a write() call, `current` is the buffer whose write that call already awaited.
        if (buffers[current].byteLength === 0) buffers[current] = WRITE_BUDGET.take(capacity);
      }
      buffers[current].set(chunk, fill);
      fill += chunk.byteLength;
    };
    try {
      for (const chunk of head) await add(chunk);
      if (reader instanceof ReadableStreamBYOBReader) {
        for (;;) {
          if (buffers[current].byteLength === 0) buffers[current] = WRITE_BUDGET.take(capacity);
          if (capacity - fill < MIN_READ_VIEW) {
            await flush();
            continue;
          }
          const r = await readInto(reader, buffers[current], fill);
          buffers[current] = r.buffer;
          if (r.read === null) break;
          size += r.read;
          fill += r.read;
        }
      } else if (reader) {
        for await (const chunk of pieces(reader)) await add(chunk);
      }
      await flush();
    } finally {
      await writer.finish().catch(() => {}); // no write or hash may outlive this call
    }
    await writer.finish(); // ...and a failed one fails it
    return { size, digest: hash?.digest() ?? null, hash: hasher?.name ?? "md5" };
  } catch (e) {
    await reader?.cancel(e).catch(() => {});
    throw e;
  } finally {
    budget.close();
    // Nothing is in flight any more (see above); a buffer a failed read moved is empty here.
    for (const b of buffers) WRITE_BUDGET.give(b);
  }
}

/**
 * Writes buffers to a file, and hashes them, with at most one buffer in
 * flight (its write and its hash side by side: both only read it), so the
 * caller can fill the next buffer meanwhile. A buffer passed to write() must
 * stay untouched until the following write() call has returned.
 */
export class OverlappedWriter {
  #inFlight: Promise<unknown> = Promise.resolve();

  /** Writes to `file` at its current position, feeding `hash` (if any) the same bytes in order. */
  constructor(private readonly file: Deno.FsFile, private readonly hash: Md5 | null = null) {}

  /** Waits for the previous buffer to be written and hashed, then starts on `data`. */
  async write(data: Uint8Array): Promise<void> {
    await this.#inFlight;
    const written = writeAll(this.file, data);
    // Settled only once both are: a failed write must not hand the buffer back while the hash
    // still reads it on another thread.
    this.#inFlight = this.hash
      ? Promise.allSettled([written, this.hash.updateOffThread(data)]).then((results) => {
        for (const r of results) if (r.status === "rejected") throw r.reason;
      })
      : written;
    // A failure surfaces at the next write() or finish(), not as an unhandled rejection.
    this.#inFlight.catch(() => {});
  }

  /** Waits for the last write and hash. */
  async finish(): Promise<void> {
    await this.#inFlight;
  }
}

/**
 * Writing request bodies to files: network chunks are coalesced into large
 * buffers and one disk write stays in flight while the next buffer is
 * received; the MD5 is computed on a worker thread where one is free.
 */
import { createHash, type Hash } from "node:crypto";
import { WRITE_BUDGET } from "./budget.ts";
import { writeAll } from "./fsutil.ts";
import { type OffloadedMd5, offloadMd5 } from "../checksum/md5_offload.ts";

/** What writeBody wrote: its length, and its MD5 when asked for. */
export interface WrittenBody {
  size: number;
  md5: Uint8Array | null;
}

/**
 * Writes `head`, then the rest of `reader`, to `file` at its current
 * position; returns the bytes written and, when `md5` is set, their MD5
 * (hashed on a worker thread where one is free, else on this one). On error
 * the reader is cancelled; the file is left to the caller.
 */
export async function writeBody(
  file: Deno.FsFile,
  head: readonly Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
  md5: boolean,
): Promise<WrittenBody> {
  const offloaded = md5 ? offloadMd5() : null;
  try {
    if (offloaded) {
      const size = await writeHashedElsewhere(file, head, reader, offloaded);
      return { size, md5: await offloaded.digest() };
    }
    const hash = md5 ? createHash("md5") : null;
    const size = await writeHashedHere(file, head, reader, hash);
    return { size, md5: hash ? new Uint8Array(hash.digest()) : null };
  } catch (e) {
    offloaded?.release();
    await reader?.cancel(e).catch(() => {});
    throw e;
  }
}

/** Coalesces chunks into two alternating buffers, hashing each chunk here. */
async function writeHashedHere(
  file: Deno.FsFile,
  head: readonly Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
  hash: Hash | null,
): Promise<number> {
  const budget = WRITE_BUDGET.open();
  let size = 0;
  try {
    // Two buffers alternate; their size is chosen once, from how many uploads are in progress.
    const capacity = budget.bufferSize();
    const buffers = [new Uint8Array(0), new Uint8Array(0)];
    let current = 0;
    let fill = 0;
    const writer = new OverlappedWriter(file);
    /** Starts writing the current buffer (if it holds anything) and switches to the other one. */
    const flush = async () => {
      if (fill === 0) return;
      await writer.write(buffers[current].subarray(0, fill));
      current ^= 1;
      fill = 0;
    };
    const add = async (chunk: Uint8Array) => {
      hash?.update(chunk);
      size += chunk.byteLength;
      if (chunk.byteLength >= capacity / 2) {
        await flush();
        await writer.write(chunk);
        return;
      }
      if (fill + chunk.byteLength > buffers[current].byteLength) {
        await flush();
        // After a write() call, `current` is the buffer whose write that call already awaited.
        if (buffers[current].byteLength === 0) buffers[current] = new Uint8Array(capacity);
      }
      buffers[current].set(chunk, fill);
      fill += chunk.byteLength;
    };
    try {
      for (const chunk of head) await add(chunk);
      if (reader) {
        for (let r = await reader.read(); !r.done; r = await reader.read()) await add(r.value);
      }
      await flush();
    } finally {
      await writer.finish().catch(() => {}); // no write may outlive this call
    }
    await writer.finish(); // ...and a failed one fails it
    return size;
  } finally {
    budget.close();
  }
}

/**
 * Copies chunks into the upload's shared slots in turn; a full slot is
 * written (one write at a time, in order) and hashed by the MD5 worker at
 * once, and is filled again only when both are done.
 */
async function writeHashedElsewhere(
  file: Deno.FsFile,
  head: readonly Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
  md5: OffloadedMd5,
): Promise<number> {
  const slots = md5.slots;
  const busy: (Promise<unknown> | null)[] = slots.map(() => null);
  let writes: Promise<void> = Promise.resolve();
  let current = 0;
  let fill = 0;
  let size = 0;
  const submit = () => {
    const slot = current;
    const data = slots[slot].subarray(0, fill);
    writes = writes.then(() => writeAll(file, data));
    const done = Promise.all([writes, md5.update(slot, fill)]);
    done.catch(() => {}); // surfaces when awaited below
    busy[slot] = done;
    current = (current + 1) % slots.length;
    fill = 0;
  };
  const add = async (chunk: Uint8Array) => {
    size += chunk.byteLength;
    while (chunk.byteLength > 0) {
      if (fill === 0 && busy[current]) {
        await busy[current];
        busy[current] = null;
      }
      const n = Math.min(slots[current].byteLength - fill, chunk.byteLength);
      slots[current].set(n === chunk.byteLength ? chunk : chunk.subarray(0, n), fill);
      fill += n;
      chunk = chunk.subarray(n);
      if (fill === slots[current].byteLength) submit();
    }
  };
  try {
    for (const chunk of head) await add(chunk);
    if (reader) {
      for (let r = await reader.read(); !r.done; r = await reader.read()) await add(r.value);
    }
    if (fill > 0) submit();
  } finally {
    await Promise.allSettled(busy); // no write or hash may outlive this call
  }
  await Promise.all(busy); // ...and a failed one fails it
  return size;
}

/**
 * Writes buffers to a file with at most one write in flight, so the caller
 * can fill the next buffer meanwhile. A buffer passed to write() must stay
 * untouched until the following write() call has returned.
 */
export class OverlappedWriter {
  #inFlight: Promise<void> = Promise.resolve();

  /** Writes to `file` at its current position. */
  constructor(private readonly file: Deno.FsFile) {}

  /** Waits for the previous write to finish, then starts writing `data`. */
  async write(data: Uint8Array): Promise<void> {
    await this.#inFlight;
    this.#inFlight = writeAll(this.file, data);
    // A failure surfaces at the next write() or finish(), not as an unhandled rejection.
    this.#inFlight.catch(() => {});
  }

  /** Waits for the last write. */
  finish(): Promise<void> {
    return this.#inFlight;
  }
}

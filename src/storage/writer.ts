/**
 * Writing request bodies to files: network chunks are coalesced into large
 * buffers (sized by the write budget) and one disk write stays in flight
 * while the next buffer is received and hashed.
 */
import type { Hash } from "node:crypto";
import { WRITE_BUDGET } from "./budget.ts";
import { writeAll } from "./fsutil.ts";

/**
 * Writes `head`, then the rest of `reader` (hashing what it reads, not
 * `head`), to `file` at its current position; returns the bytes written.
 * On error the reader is cancelled; the file is left to the caller.
 */
export async function writeBody(
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
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          hash?.update(r.value);
          await add(r.value);
        }
      }
      await flush();
    } finally {
      await writer.finish().catch(() => {}); // no write may outlive this call
    }
    await writer.finish(); // ...and a failed one fails it
    return size;
  } catch (e) {
    await reader?.cancel(e).catch(() => {});
    throw e;
  } finally {
    budget.close();
  }
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

/** Reading files as Web Streams with large reads (much faster than small default chunks). */
import { READ_BUDGET } from "./budget.ts";

/**
 * A stream of `length` bytes of `file` from `start`; closes the file when
 * done, on error and on cancel.
 */
export function fileStream(
  file: Deno.FsFile,
  start: number,
  length: number,
): ReadableStream<Uint8Array> {
  let remaining = length;
  let positioned = start === 0;
  let closed = false;
  const budget = READ_BUDGET.open(); // read size shrinks while many streams are open
  const close = () => {
    if (closed) return;
    closed = true;
    budget.close();
    try {
      file.close();
    } catch {
      // already closed
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!positioned) {
          await file.seek(start, Deno.SeekMode.Start);
          positioned = true;
        }
        if (remaining <= 0) {
          close();
          controller.close();
          return;
        }
        const buf = new Uint8Array(Math.min(budget.bufferSize(), remaining));
        let filled = 0;
        while (filled < buf.byteLength) {
          const n = await file.read(buf.subarray(filled));
          if (n === null) break;
          filled += n;
        }
        if (filled === 0) {
          close();
          controller.close();
          return;
        }
        remaining -= filled;
        controller.enqueue(filled === buf.byteLength ? buf : buf.subarray(0, filled));
        if (remaining <= 0) {
          close();
          controller.close();
        }
      } catch (e) {
        close();
        controller.error(e);
      }
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 0 });
}

/** Reads a whole file in order, in large chunks, handing each to `onChunk` (which must not keep it). */
export async function readFile(path: string, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(READ_BUDGET.bufferSize());
    for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
      onChunk(buf.subarray(0, n));
    }
  } finally {
    file.close();
  }
}

/** The reader handed to operations for an open object: its bytes, never its file. */
import type { OpenedObject } from "./reads.ts";
import { fileStream } from "./stream.ts";
import type { ObjectReader } from "./types.ts";

/** A reader over an opened object. */
export function objectReader(opened: OpenedObject): ObjectReader {
  const { file, meta, bytes } = opened;
  const close = () => {
    try {
      file?.close();
    } catch {
      // closed already (by its stream, or before)
    }
  };
  return {
    meta,
    body(start = 0, length = meta.size - start) {
      if (bytes) {
        // A small object, read whole when opened, is sent from memory.
        close();
        return bytes.subarray(start, start + length);
      }
      // A whole object is the file's own stream, which Deno sends from native code without a
      // JavaScript buffer per chunk (no garbage, flat memory); ranges read in budgeted chunks.
      return start === 0 && length === meta.size
        ? file!.readable
        : fileStream(file!, start, length);
    },
    close,
  };
}

/** HTTP Range requests as S3 answers them (a single byte range). */
import { S3Error } from "../errors.ts";

/** An inclusive byte range. */
export interface ByteRange {
  /** First byte. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * Parses a Range header against an object size. Returns null when the whole
 * object is to be sent: no header, a syntax S3 ignores, or several ranges
 * (S3 answers those with the whole object). Throws InvalidRange (416) when
 * the range cannot be satisfied.
 */
export function parseRange(header: string | null, size: number): ByteRange | null {
  if (header === null) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, a, b] = m;
  if (a === "" && b === "") return null;
  let start: number;
  let end: number;
  if (a === "") {
    const n = Number(b);
    if (n === 0) throw unsatisfiable(size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== "" && Number(b) < start) return null;
  }
  if (start >= size || size === 0) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): S3Error {
  return new S3Error("InvalidRange", undefined, {
    extra: { RangeRequested: "", ActualObjectSize: String(size) },
    headers: { "content-range": `bytes */${size}` },
  });
}

/** Part numbers: parsing them, and the byte range a part of a stored object covers. */
import { S3Error } from "../errors.ts";
import type { ObjectMeta } from "../storage/mod.ts";
import type { ByteRange } from "./range.ts";

/** Highest part number S3 allows. */
export const MAX_PART_NUMBER = 10000;

/** A `partNumber` parameter: an integer from 1 to 10,000, else InvalidArgument. */
export function parsePartNumber(value: string | null): number {
  const n = value !== null && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error(
      "InvalidArgument",
      "Part number must be an integer between 1 and 10000, inclusive",
    );
  }
  return n;
}

/**
 * The bytes of part `n` of an object, for GET and HEAD with `partNumber`:
 * a multipart object's part as uploaded, or the whole of any other object
 * as its part 1 (null when it is empty: there is no range to send).
 * InvalidPartNumber for a part the object does not have.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
export function partRange(n: number, meta: ObjectMeta): ByteRange | null {
  const sizes = meta.partInfo?.map((p) => p.size) ?? (meta.parts ? null : [meta.size]);
  if (sizes === null) {
    throw new S3Error("NotImplemented", "The part sizes of this object were not recorded.");
  }
  if (n > sizes.length) throw new S3Error("InvalidPartNumber");
  const start = sizes.slice(0, n - 1).reduce((a, b) => a + b, 0);
  if (sizes[n - 1] === 0) return null;
  return { start, end: start + sizes[n - 1] - 1 };
}

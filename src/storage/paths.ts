/** Path helpers: the platform separator and absolute resolution, in one place. */
import { resolve as nodeResolve, sep } from "node:path";
import { S3Error } from "../errors.ts";
import { isValidBucketName } from "./keys.ts";

/** The platform's path separator. */
export const SEP: string = sep;

/** Resolves a path to an absolute one against the working directory. */
export function resolve(path: string): string {
  return nodeResolve(path);
}

/**
 * A bucket name as a path segment. The address layer has already refused
 * every name that is not a bucket's; this second wall keeps a name with `/` or dot
 * segments from ever becoming a path, whoever calls.
 */
export function bucketSegment(bucket: string): string {
  if (!isValidBucketName(bucket)) throw new S3Error("InvalidBucketName");
  return bucket;
}

/**
 * `base` joined with file names, each of which must name an entry of the
 * directory before it: never empty, `.`, `..`, or holding a separator. A
 * second wall behind the key encoding (keys.ts), which never produces such names.
 */
export function joinInside(base: string, names: readonly string[]): string {
  let path = base;
  for (const name of names) {
    if (
      name === "" || name === "." || name === ".." || name.includes("/") || name.includes(SEP) ||
      name.includes("\0")
    ) {
      throw new S3Error("InvalidArgument", "The object key cannot be stored.");
    }
    path += SEP + name;
  }
  return path;
}

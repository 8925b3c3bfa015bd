/** Path helpers: the platform separator and absolute resolution, in one place. */
import { resolve as nodeResolve, sep } from "node:path";

/** The platform's path separator. */
export const SEP: string = sep;

/** Resolves a path to an absolute one against the working directory. */
export function resolve(path: string): string {
  return nodeResolve(path);
}

/** Small filesystem helpers shared by the storage modules. */

/** True for the errors meaning "no such file": NotFound, and NotADirectory for a file in the path. */
export function isNotFound(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
}

/** Removes a path, ignoring a missing one (and any other error: used for cleanup). */
export async function removeQuietly(path: string, recursive = false): Promise<void> {
  try {
    await Deno.remove(path, { recursive });
  } catch {
    // Already gone, or cleanup that can wait for the next start-up.
  }
}

/** Writes all of `data` to `file`, looping over partial writes. */
export async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.byteLength) off += await file.write(data.subarray(off));
}

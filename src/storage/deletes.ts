/** Deleting objects, and freeing the blocks of large files after the response. */
import { keyToSegments } from "./keys.ts";
import { surelyMissing } from "./libc.ts";
import { parentOf } from "./layout.ts";
import { requireBucket } from "./buckets.ts";
import { objectFile, readMeta } from "./reads.ts";
import type { DeleteTarget, Precondition } from "./types.ts";
import type { Store } from "./store.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";

/**
 * Replaced or deleted data files at least this large are moved into the temp
 * area and unlinked after the response: freeing a large file's blocks takes
 * the kernel hundreds of milliseconds per GiB, which no client should wait for.
 */
export const FREE_LATER_BYTES = 8 * 1024 * 1024;

/**
 * Deletes an object (no error when absent) and prunes directories it leaves empty.
 * `precondition` sees the current object (null when there is none) under the key's lock.
 */
export async function deleteObject(
  store: Store,
  { bucket, key, committed }: Pick<DeleteTarget, "bucket" | "key" | "committed">,
  precondition?: Precondition,
): Promise<void> {
  const keySegments = keyToSegments(key);
  requireBucket(store, bucket);
  // Below a link there is no object: nothing to delete, and nothing outside is touched.
  if (store.links.crossesLink(bucket, keySegments.slice(0, -1))) {
    precondition?.(null);
    return;
  }
  await store.locks.with(bucket + "/" + key, async () => {
    const { segments, info } = objectFile(store, bucket, keySegments);
    if (precondition) {
      precondition(info?.isFile ? readMeta(store, { bucket, segments, info }) : null);
    }
    if (!info) return;
    await removeCurrent(store, { bucket, segments, info });
    await committed?.({});
  });
}

/**
 * Removes the current file of a key (found at `segments`, what lstat said of
 * it: `info`) with its sidecar, under the key's lock, and prunes the
 * directories it leaves empty.
 */
export async function removeCurrent(
  store: Store,
  { bucket, segments, info }: { bucket: string; segments: string[]; info: Deno.FileInfo },
): Promise<void> {
  const { layout } = store;
  try {
    await removeData(store, layout.dataPath(bucket, segments), info);
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  await removeSidecar(store, bucket, segments);
  if (store.fsync) await store.temp.syncDir(parentOf(layout.dataPath(bucket, segments)));
  await store.dirs.prune(layout.bucketDir(bucket), segments);
  // Plain objects often have no directory in the metadata tree either.
  if (!surelyMissing(parentOf(layout.metaPath(bucket, segments)))) {
    await store.dirs.prune(layout.metaDir(bucket), segments);
  }
}

/** Removes an object's sidecar, if it has one (plain objects do not: no failed remove). */
export async function removeSidecar(
  store: Store,
  bucket: string,
  segments: readonly string[],
): Promise<void> {
  const path = store.layout.metaPath(bucket, segments);
  if (!surelyMissing(path)) await removeQuietly(path);
}

/** Removes a data file; a large one is renamed into the temp area and unlinked in the background. */
async function removeData(store: Store, path: string, info: Deno.FileInfo): Promise<void> {
  if (!info.isFile || info.size < FREE_LATER_BYTES) {
    await Deno.remove(path);
    return;
  }
  const hold = store.temp.newPath(".old");
  await Deno.rename(path, hold);
  removeLater(store, hold);
}

/** A second link to `path` in the temp area (null when links are not possible here). */
export async function linkAside(store: Store, path: string): Promise<string | null> {
  const hold = store.temp.newPath(".old");
  try {
    await Deno.link(path, hold);
    return hold;
  } catch {
    return null;
  }
}

/** Unlinks a file held in the temp area after the response (a crash leaves it to the temp sweep). */
export function removeLater(store: Store, path: string): void {
  store.background.run("free replaced file", () => removeQuietly(path));
}

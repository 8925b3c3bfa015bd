/**
 * Renaming an object within its bucket: one rename(2) of the data file, so
 * the bytes never move and no reader sees a partial object. The target's
 * sidecar gets the source's entry before the data moves (keeping the entry
 * of the target's current bytes, as a write does), so a crash at any step
 * leaves every data file described by its own entry or by none.
 */
import { S3Error } from "../errors.ts";
import { requireBucket } from "./buckets.ts";
import { FREE_LATER_BYTES, linkAside, removeLater, removeSidecar } from "./deletes.ts";
import { keyToSegments } from "./keys.ts";
import { parentOf } from "./layout.ts";
import { objectFile, readMeta, readSidecar } from "./reads.ts";
import { findEntry, nextSidecar } from "./sidecar.ts";
import type { Store } from "./store.ts";
import { identityOf, type Precondition } from "./types.ts";
import { removeQuietly } from "./fsutil.ts";

/** A rename: the bucket, both keys, and the conditions each side must meet. */
export interface Rename {
  bucket: string;
  from: string;
  to: string;
  /** Checked against the source object under the locks. */
  sourceCondition?: Precondition;
  /** Checked against the current target (null when absent) under the locks. */
  targetCondition?: Precondition;
}

/** Renames `from` to `to` atomically: NoSuchKey when the source is absent. */
export async function renameObject(store: Store, r: Rename): Promise<void> {
  const { bucket } = r;
  const { layout, dirs } = store;
  requireBucket(store, bucket);
  const fromSegments = keyToSegments(r.from);
  const toSegments = keyToSegments(r.to);
  if (
    store.links.crossesLink(bucket, fromSegments.slice(0, -1)) ||
    store.links.crossesLink(bucket, toSegments.slice(0, -1))
  ) {
    throw new S3Error("AccessDenied", "A key lies below a link placed in the bucket by hand.");
  }
  // Directories first, outside the locks (making them may promote an ancestor, which locks it).
  await dirs.ensureParent({ bucket, segments: toSegments, base: layout.bucketDir(bucket) });
  const metaBase = layout.metaDir(bucket);
  await dirs.ensureParent({ bucket, segments: toSegments, base: metaBase, createBase: true });
  await store.locks.withPair(bucket + "/" + r.from, bucket + "/" + r.to, async () => {
    const found = objectFile(store, bucket, fromSegments);
    if (!found.info?.isFile) throw new S3Error("NoSuchKey");
    const source = { segments: found.segments, info: found.info };
    r.sourceCondition?.(readMeta(store, { bucket, ...source }));
    const at = objectFile(store, bucket, toSegments);
    const target = { segments: at.segments, info: at.info?.isFile ? at.info : null };
    r.targetCondition?.(
      target.info ? readMeta(store, { bucket, ...target, info: target.info }) : null,
    );
    const sourceData = layout.dataPath(bucket, source.segments);
    const targetData = layout.dataPath(bucket, target.segments);
    if (sourceData === targetData) return;
    // Under the locks the parents are made again, cheaply: a delete may have pruned them since.
    await Deno.mkdir(parentOf(targetData), { recursive: true });
    if (store.metadata) {
      await Deno.mkdir(parentOf(layout.metaPath(bucket, target.segments)), { recursive: true });
      const entry = findEntry(readSidecar(store, bucket, source.segments), identityOf(source.info));
      if (entry) {
        const current = target.info ? readSidecar(store, bucket, target.segments) : null;
        const sidecar = nextSidecar(current, target.info && identityOf(target.info), entry);
        const tmp = await store.temp.writeText(JSON.stringify(sidecar));
        try {
          Deno.renameSync(tmp, layout.metaPath(bucket, target.segments));
        } catch (e) {
          await removeQuietly(tmp);
          throw e;
        }
      } else if (target.info) {
        await removeSidecar(store, bucket, target.segments); // it describes only the bytes replaced
      }
    }
    const aside = target.info && target.info.size >= FREE_LATER_BYTES
      ? await linkAside(store, targetData)
      : null;
    try {
      Deno.renameSync(sourceData, targetData);
    } finally {
      if (aside) removeLater(store, aside);
    }
    await removeSidecar(store, bucket, source.segments);
    if (store.fsync) {
      await store.temp.syncDir(parentOf(targetData));
      await store.temp.syncDir(parentOf(sourceData));
    }
    await dirs.prune(layout.bucketDir(bucket), source.segments);
    await dirs.prune(metaBase, source.segments);
  });
}

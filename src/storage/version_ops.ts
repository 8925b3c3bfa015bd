/**
 * Object operations that name or make versions: reading a version by id,
 * deleting in a versioned bucket (delete markers, permanent deletes),
 * changing a version's attributes, and making the newest noncurrent version
 * current again when the one above it is deleted. The layout and the crash
 * rules of noncurrent versions are in versions.ts.
 */
import { S3Error } from "../errors.ts";
import { requireBucket } from "./buckets.ts";
import { commit, locate, type Located, restoreHeld, rewriteSidecar } from "./commit.ts";
import { removeCurrent } from "./deletes.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { SEP } from "./paths.ts";
import { changesLock, checkRemovable } from "./object_lock.ts";
import { findEntry, type SidecarEntry } from "./sidecar.ts";
import {
  describe,
  lstatSyncOrNull,
  objectFile,
  openData,
  type OpenedObject,
  openObject,
  readMeta,
} from "./reads.ts";
import type { Store } from "./store.ts";
import { type TempFile, unhashedFile } from "./temp.ts";
import {
  type DeleteTarget,
  identityOf,
  type ObjectAttributes,
  type ObjectMeta,
  type Precondition,
} from "./types.ts";
import { newVersionId, NULL_VERSION } from "./version_id.ts";
import { versioningOf } from "./versioning.ts";
import {
  checkVersionId,
  type Current,
  type CurrentFile,
  hiddenBy,
  makeNoncurrent,
  newestNoncurrent,
  openNoncurrent,
  readRecord,
  removeVersion,
  type VersionRecord,
  visibleVersions,
  writeMarker,
  writeRecord,
} from "./versions.ts";

/** What a delete did: the version it removed or the delete marker it made. */
export interface DeleteResult {
  /** The version removed, or the delete marker made (absent in a never-versioned bucket). */
  versionId?: string;
  /** True when a delete marker was made or removed. */
  deleteMarker?: boolean;
}

/** The key's current file, or null (read under the key's lock). */
export function currentOf(store: Store, loc: Located): Current | null {
  const { segments, info } = objectFile(store, loc.bucket, loc.segments, true);
  if (!info?.isFile) return null;
  return { segments, info, meta: readMeta(store, { bucket: loc.bucket, segments, info }) };
}

/**
 * Opens version `versionId` of a key: the current file when it is that
 * version, else the noncurrent one. NoSuchVersion when there is none;
 * MethodNotAllowed (with `x-amz-delete-marker`) when it is a delete marker.
 */
export function openVersion(
  store: Store,
  target: { bucket: string; key: string; versionId: string },
): OpenedObject {
  checkVersionId(target.versionId);
  const loc = locate(target.bucket, target.key);
  const dir = store.layout.versionDir(loc.bucket, loc.segments);
  for (let attempt = 0; attempt < 3; attempt++) {
    let current: CurrentFile | null = null;
    const opened = openCurrent(store, target);
    if (opened) {
      if ((opened.meta.versionId ?? NULL_VERSION) === target.versionId) {
        return { ...opened, meta: { ...opened.meta, versionId: target.versionId } };
      }
      current = { info: opened.info, meta: opened.meta };
      opened.file?.close();
    }
    const version = openNoncurrent(dir, target.versionId, { store, current });
    if (version?.kind === "object") return version;
    if (version?.kind === "marker") {
      throw new S3Error("MethodNotAllowed", undefined, {
        headers: {
          "x-amz-delete-marker": "true",
          "x-amz-version-id": version.versionId,
          "last-modified": version.lastModified.toUTCString(),
        },
      });
    }
    // Not there: it may have been made current or noncurrent meanwhile; look once more.
  }
  throw new S3Error("NoSuchVersion", undefined, { extra: { VersionId: target.versionId } });
}

/** The current file opened, or null when the key has none (NoSuchBucket when the bucket is gone). */
function openCurrent(store: Store, target: { bucket: string; key: string }): OpenedObject | null {
  try {
    return openObject(store, target.bucket, target.key);
  } catch (e) {
    if (e instanceof S3Error && e.code === "NoSuchKey") return null;
    throw e;
  }
}

/**
 * The NoSuchKey of a key with no current file: in a versioned bucket whose
 * newest version of the key is a delete marker, it says so (as S3 does).
 */
export function noSuchKey(store: Store, bucket: string, key: string): S3Error {
  const loc = locate(bucket, key);
  const newest = newestNoncurrent(store.layout.versionDir(bucket, loc.segments), null);
  if (!newest?.record.marker) return new S3Error("NoSuchKey");
  return new S3Error("NoSuchKey", undefined, {
    headers: { "x-amz-delete-marker": "true", "x-amz-version-id": newest.name.id },
  });
}

/**
 * Deletes in a bucket that has (or had) versioning: without a version id a
 * delete marker is made and the current version becomes noncurrent; with
 * one, that version is removed permanently, and when it was the current
 * version (or a delete marker above the newest version) the next newest
 * version becomes current.
 */
export async function deleteVersioned(
  store: Store,
  target: DeleteTarget & { precondition?: Precondition },
): Promise<DeleteResult> {
  const loc = locate(target.bucket, target.key);
  requireBucket(store, loc.bucket);
  if (target.versionId !== undefined) checkVersionId(target.versionId);
  const dir = store.layout.versionDir(loc.bucket, loc.segments);
  for (let attempt = 0;; attempt++) {
    let uncover: string | null = null;
    const result = await store.locks.with(loc.lockName, async (): Promise<DeleteResult> => {
      const current = currentOf(store, loc);
      if (target.versionId === undefined) {
        target.precondition?.(current?.meta ?? null);
        const made = await addDeleteMarker(store, { loc, dir, current });
        await target.committed?.(made);
        return made;
      }
      const versionId = target.versionId;
      if (current && (current.meta.versionId ?? NULL_VERSION) === versionId) {
        target.precondition?.(current.meta);
        checkRemovable(current.meta, target);
        const next = newestNoncurrent(dir, current);
        const replaced = next !== null && !next.record.marker &&
          await replaceCurrent(store, { loc, dir, next: next.name.id });
        if (!replaced) await removeCurrent(store, { bucket: loc.bucket, ...current });
        // A copy an interrupted step linked while it was current goes with it.
        if (readRecord(dir, versionId) !== null) {
          await removeVersion(store, {
            bucket: loc.bucket,
            keySegments: loc.segments,
            dir,
            id: versionId,
          });
        }
        await target.committed?.({ versionId });
        return { versionId };
      }
      const record = readRecord(dir, versionId);
      const order = versionId === NULL_VERSION ? record?.order ?? "" : versionId;
      if (record === null || hiddenBy(current, { id: versionId, order }, record)) {
        return { versionId };
      }
      target.precondition?.(null);
      if (!record.marker) checkRemovable(recordedAttributes(dir, versionId, record), target);
      if (record.marker && current === null && attempt < 8) {
        // The newest version, a delete marker, above a version with bytes: that version
        // becomes current before the marker goes (see uncoverBelow).
        const [top, below] = visibleVersions(dir, null, 2);
        if (top?.name.id === versionId && below && !below.record.marker) {
          uncover = below.name.id;
          return { versionId, deleteMarker: true };
        }
      }
      await removeVersion(store, {
        bucket: loc.bucket,
        keySegments: loc.segments,
        dir,
        id: versionId,
      });
      const removed = { versionId, ...(record.marker ? { deleteMarker: true } : {}) };
      await target.committed?.(removed);
      return removed;
    });
    if (uncover === null) return result;
    if (await uncoverBelow(store, { loc, dir, marker: target.versionId!, next: uncover })) {
      // The marker went under the lock of the commit that uncovered the version below it.
      await target.committed?.(result);
      return result;
    }
    // Someone else changed the key first: decide again.
  }
}

/**
 * The attributes recorded for noncurrent version `id`: its record's entry for
 * the bytes there (undefined when they are gone or no entry describes them).
 */
function recordedAttributes(
  dir: string,
  id: string,
  record: VersionRecord,
): ObjectAttributes | undefined {
  const info = lstatSyncOrNull(dir + SEP + id);
  return info ? findEntry(record, identityOf(info)) : undefined;
}

/** Makes a delete marker the key's newest version (see deleteVersioned). */
async function addDeleteMarker(
  store: Store,
  at: { loc: Located; dir: string; current: Current | null },
): Promise<DeleteResult> {
  const { loc, dir, current } = at;
  const bucket = loc.bucket;
  const state = versioningOf(store, bucket);
  const currentId = current?.meta.versionId;
  const newest = current ? currentId : newestNoncurrent(dir, null)?.name.order;
  // The current null version's place comes before the marker's id.
  const nullOrder = current && currentId === undefined ? newVersionId(newest) : undefined;
  const replaces = current ? identityOf(current.info) : undefined;
  const now = new Date();
  if (state === "Enabled") {
    const id = newVersionId(nullOrder ?? newest);
    // The marker first: while the current file is still there, the marker is hidden by it.
    await writeMarker(store, dir, { id, replaces, now });
    if (current) {
      await makeNoncurrent(store, { bucket, dir, nullOrder }, current);
      await removeCurrent(store, { bucket, ...current });
    }
    return { versionId: id, deleteMarker: true };
  }
  // Suspended: the marker is the null version, replacing any other null version.
  if (current && currentId !== undefined) await makeNoncurrent(store, { bucket, dir }, current);
  const order = newVersionId(currentId ?? newest);
  await writeMarker(store, dir, { id: NULL_VERSION, order, replaces, now });
  if (current) await removeCurrent(store, { bucket, ...current });
  await removeQuietly(dir + SEP + NULL_VERSION); // the bytes of the null version replaced
  return { versionId: NULL_VERSION, deleteMarker: true };
}

/**
 * Replaces the current file with noncurrent version `next` (the current
 * version is being deleted), by the commit protocol under the lock held:
 * `next`'s bytes are linked in, then `next` leaves the versions directory.
 * False when its bytes are gone.
 */
async function replaceCurrent(
  store: Store,
  at: { loc: Located; dir: string; next: string },
): Promise<boolean> {
  const { loc, dir, next } = at;
  const linked = await linkedVersion(store, dir, next);
  if (linked === null) return false;
  try {
    await restoreHeld(store, loc, {
      ...linked,
      restore: {
        versionId: next === NULL_VERSION ? undefined : next,
        after: () =>
          removeVersion(store, { bucket: loc.bucket, keySegments: loc.segments, dir, id: next }),
      },
    });
    return true;
  } catch (e) {
    await removeQuietly(linked.tmp.path);
    throw e;
  }
}

/**
 * The bytes of noncurrent version `id` linked into the temp area, as a file
 * to commit, with the version's attributes; null when they are gone.
 */
async function linkedVersion(
  store: Store,
  dir: string,
  id: string,
): Promise<{ tmp: TempFile; attributes: ObjectAttributes } | null> {
  const from = dir + SEP + id;
  const path = store.temp.newPath(".link");
  let info: Deno.FileInfo;
  try {
    Deno.linkSync(from, path);
    info = Deno.lstatSync(path);
  } catch (e) {
    await removeQuietly(path);
    if (isNotFound(e)) return null; // removed meanwhile
    throw e;
  }
  const { meta } = describe(store, { dataPath: from, sidecarPath: from + ".json", info });
  const { size: _s, lastModified: _l, versionId: _v, ...attributes } = meta;
  return { tmp: unhashedFile(path, info), attributes };
}

/**
 * Removes the delete marker `marker`, the key's newest version, and makes
 * version `next` below it current: `next` is linked in as the current file
 * first (the marker, newer than it, is then hidden), and only then do the
 * marker and `next`'s noncurrent copy go, so a crash at any step leaves
 * either the marker or `next` as the newest version. False (nothing done)
 * when the key changed before the lock was taken.
 */
async function uncoverBelow(
  store: Store,
  at: { loc: Located; dir: string; marker: string; next: string },
): Promise<boolean> {
  const { loc, dir, marker, next } = at;
  const linked = await linkedVersion(store, dir, next);
  if (linked === null) return false;
  const unchanged: Precondition = (now) => {
    const [top, below] = visibleVersions(dir, null, 2);
    if (now !== null || top?.name.id !== marker || below?.name.id !== next) throw new Unchanged();
  };
  const remove = (id: string) =>
    removeVersion(store, { bucket: loc.bucket, keySegments: loc.segments, dir, id });
  try {
    await commit(store, loc, {
      ...linked,
      precondition: unchanged,
      restore: {
        versionId: next === NULL_VERSION ? undefined : next,
        after: async () => {
          await remove(marker);
          await remove(next);
        },
      },
    });
    return true;
  } catch (e) {
    await removeQuietly(linked.tmp.path);
    if (e instanceof Unchanged) return false;
    throw e;
  }
}

/** Thrown to leave things as they are (another request changed them first). */
class Unchanged extends Error {}

/**
 * Changes the attributes (tags) of version `versionId` of a key, current
 * or noncurrent. NoSuchVersion; MethodNotAllowed for a delete marker.
 */
export async function updateVersion(
  store: Store,
  target: { bucket: string; key: string; versionId: string },
  update: (meta: ObjectMeta) => Partial<ObjectAttributes>,
): Promise<ObjectMeta> {
  if (!store.metadata) {
    throw new S3Error(
      "NotImplemented",
      "Object attributes cannot be changed with -metadata=false.",
    );
  }
  checkVersionId(target.versionId);
  const loc = locate(target.bucket, target.key);
  requireBucket(store, loc.bucket);
  const { versionId } = target;
  return await store.locks.with(loc.lockName, async () => {
    const opened = openData(store, loc.bucket, loc.segments);
    let current: Current | null = null;
    if (opened) {
      try {
        const at = { bucket: loc.bucket, opened, heldLock: loc.lockName, versionId };
        const meta = await rewriteSidecar(store, at, update);
        if (meta) return { ...meta, versionId };
        const info = opened.info;
        current = { segments: opened.segments, info, meta: readMeta(store, { ...at, ...opened }) };
      } finally {
        opened.file?.close();
      }
    }
    const dir = store.layout.versionDir(loc.bucket, loc.segments);
    const version = openNoncurrent(dir, versionId, { store, current });
    if (version === null) {
      throw new S3Error("NoSuchVersion", undefined, { extra: { VersionId: versionId } });
    }
    if (version.kind === "marker") throw new S3Error("MethodNotAllowed");
    try {
      const record = readRecord(dir, versionId)!;
      const { size: _s, lastModified: _l, ...attributes } = {
        ...version.meta,
        ...update(version.meta),
      };
      const info = version.info;
      const entry: SidecarEntry = {
        ...attributes,
        versionId: versionId === NULL_VERSION ? undefined : versionId,
        id: identityOf(info),
      };
      await writeRecord(store, dir, versionId, { ...record, entries: [entry] }, {
        durable: changesLock(version.meta, attributes),
      });
      return { ...version.meta, ...attributes };
    } finally {
      version.file.close();
    }
  });
}

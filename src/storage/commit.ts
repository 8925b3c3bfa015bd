/**
 * Writing objects: the body goes to a temp file, then the sidecar and the
 * data file are renamed into place under the key's lock (see DESIGN.md,
 * "Storage format"). The commit protocol lives here and nowhere else.
 */
import { etagOfDigest } from "../checksum/etag_hash.ts";
import { S3Error } from "../errors.ts";
import { keyToSegments, SELF_OBJECT } from "./keys.ts";
import { parentOf } from "./layout.ts";
import { requireBucket } from "./buckets.ts";
import { RetryCommit } from "./dirs.ts";
import { FREE_LATER_BYTES, linkAside, removeLater, removeSidecar } from "./deletes.ts";
import {
  describe,
  lstatSyncOrNull,
  objectFile,
  openData,
  type OpenedData,
  placeOf,
  readMeta,
  readSidecar,
  withVersion,
} from "./reads.ts";
import { changesLock } from "./object_lock.ts";
import { isPlain, nextSidecar, PLAIN_MAX_BYTES, pseudoEtag, type Sidecar } from "./sidecar.ts";
import type { SidecarEntry } from "./sidecar.ts";
import type { Store } from "./store.ts";
import { md5Of, type TempFile } from "./temp.ts";
import {
  identityOf,
  type ObjectAttributes,
  type ObjectMeta,
  type Precondition,
  type PutOptions,
} from "./types.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { idFromTime, NULL_VERSION } from "./version_id.ts";
import {
  derivedVersionFloor,
  derivedVersionId,
  type Versioning,
  versioningDoc,
  type VersioningState,
} from "./versioning.ts";
import { beforeVersionedWrite } from "./versions.ts";

/** An object's address: its bucket, key, key segments and lock name. */
export interface Located {
  bucket: string;
  key: string;
  segments: string[];
  lockName: string;
}

/** The address of `key` in `bucket`. */
export function locate(bucket: string, key: string): Located {
  return { bucket, key, segments: keyToSegments(key), lockName: bucket + "/" + key };
}

/**
 * Writes an object: streams the body (or writes the bytes) to a temp file
 * (MD5 computed on the way), then commits it atomically under the key's
 * lock. Returns the new object's metadata.
 */
export async function putObject(
  store: Store,
  target: { bucket: string; key: string },
  body: ReadableStream<Uint8Array> | Uint8Array | null,
  opts: PutOptions,
): Promise<ObjectMeta> {
  const loc = locate(target.bucket, target.key);
  requireBucket(store, target.bucket);
  // A Content-MD5 to check wants the MD5; the ETag is then that MD5, whatever -etag says.
  const hash = opts.needMd5 ? "md5" : store.metadata ? store.temp.etagHash : null;
  const tmp = await store.temp.write(body, hash);
  try {
    let attributes = opts.attributes;
    if (opts.finalize) {
      const more = await opts.finalize({ size: tmp.size, md5: md5Of(tmp) });
      if (more) attributes = { ...attributes, ...more };
    }
    return await commitAt(store, loc, {
      tmp,
      attributes,
      precondition: opts.precondition,
      committed: opts.committed,
    });
  } catch (e) {
    await removeQuietly(tmp.path); // not consumed by a commit
    throw e;
  }
}

/** A finished temp file to commit, with its attributes. */
export interface Commit {
  tmp: TempFile;
  attributes: ObjectAttributes;
  precondition?: Precondition;
  /** Runs under the key's lock once the object is in place (PutOptions.committed). */
  committed?: PutOptions["committed"];
  /**
   * A noncurrent version made current again (its bytes linked as `tmp`):
   * it keeps its id, no version is made noncurrent, and `after` runs under
   * the key's lock once it is in place.
   */
  restore?: { versionId?: string; after: () => Promise<void> };
}

/**
 * Moves a finished temp file into place as `key`, with its sidecar, under
 * the key's lock. The temp file is consumed (renamed) on success.
 */
export async function commit(
  store: Store,
  target: { bucket: string; key: string },
  c: Commit,
): Promise<ObjectMeta> {
  return await commitAt(store, locate(target.bucket, target.key), c);
}

/**
 * Makes a noncurrent version (its bytes linked as `c.tmp`) the current file
 * again, for a caller that already holds the key's lock: commit()'s
 * protocol, with the restored version's sidecar.
 */
export async function restoreHeld(
  store: Store,
  loc: Located,
  c: Commit & { restore: NonNullable<Commit["restore"]> },
): Promise<ObjectMeta> {
  return await commitOnce(store, loc, {
    ...c,
    attributes: {
      ...c.attributes,
      etag: c.attributes.etag ?? etagOfDigest(c.tmp.digest, c.tmp.hash),
    },
    state: "",
    doc: versioningDoc(store, loc.bucket),
    withSidecar: store.metadata,
  });
}

async function commitAt(store: Store, loc: Located, c: Commit): Promise<ObjectMeta> {
  const { bucket, segments } = loc;
  const { tmp } = c;
  const etag = c.attributes.etag ?? etagOfDigest(tmp.digest, tmp.hash);
  // Read once for the whole commit: every look at it costs a stat.
  const doc = versioningDoc(store, bucket);
  const state = c.restore ? "" : doc.state;
  // Nothing but bytes, and few of them: no sidecar (see PLAIN_MAX_BYTES). In a versioned bucket
  // its version id is then derived from the file (see stampVersion), where the bucket's history
  // allows; a restored version keeps its id in a sidecar.
  // Without a sidecar the ETag is the MD5 of the bytes (reads.ts): only an MD5 ETag allows none.
  const plain = tmp.size <= PLAIN_MAX_BYTES && md5Of(tmp).length > 0 && isPlain(c.attributes);
  let sidecar = store.metadata && (c.restore !== undefined || !plain ||
    (state !== "" && derivedVersionFloor(doc, undefined) === null));
  refuseLinkedParent(store, bucket, segments);
  for (let attempt = 0;; attempt++) {
    try {
      // Parent directories first, outside the key's lock: turning an ancestor object into a
      // directory takes that ancestor's lock, and locks are never nested.
      await store.dirs.ensureParent({ bucket, segments, base: store.layout.bucketDir(bucket) });
      if (sidecar) {
        const base = store.layout.metaDir(bucket);
        await store.dirs.ensureParent({ bucket, segments, base, createBase: true });
      }
      return await store.locks.with(
        loc.lockName,
        () =>
          commitOnce(store, loc, {
            ...c,
            attributes: { ...c.attributes, etag },
            state,
            doc,
            withSidecar: sidecar,
          }),
      );
    } catch (e) {
      if (e instanceof NeedsSidecar && !sidecar) {
        sidecar = true;
        continue;
      }
      // A delete (here or in another process) pruned a directory, a writer turned the target
      // into a directory, or an ancestor needs promoting: forget cached directories and retry.
      const retry = isNotFound(e) || e instanceof Deno.errors.IsADirectory ||
        e instanceof Deno.errors.NotADirectory || e instanceof RetryCommit;
      if (attempt < 10 && retry) {
        store.dirs.clear();
        continue;
      }
      throw e;
    }
  }
}

async function commitOnce(
  store: Store,
  loc: Located,
  c: Commit & {
    attributes: { etag: string };
    state: VersioningState;
    doc: Versioning;
    withSidecar: boolean;
  },
): Promise<ObjectMeta> {
  const { bucket } = loc;
  const { layout, dirs } = store;
  const { attributes, withSidecar, state } = c;
  let { tmp } = c;
  // The commit's lstat and renames are synchronous: see TempArea.write() on directory locks.
  const found = objectFile(store, bucket, loc.segments, true);
  // No file here, but the sidecar tree has a directory in its place (a delete of `a/b` is about
  // to prune it, or could not): `a` goes in as `a/%obj`, where both trees have room for it.
  const segments = found.info === null && withSidecar && found.segments.at(-1) !== SELF_OBJECT &&
      isDirectory(layout.metaPath(bucket, found.segments))
    ? [...found.segments, SELF_OBJECT]
    : found.segments;
  const current = found.info?.isFile ? found.info : null;
  // The current sidecar, read once: for the version being replaced and for the entry kept.
  const currentSidecar = current && (withSidecar || c.precondition || state !== "")
    ? readSidecar(store, bucket, segments)
    : null;
  const currentMeta = current && (c.precondition || state !== "")
    ? withVersion(
      store,
      bucket,
      describe(store, {
        ...placeOf(store, bucket, segments),
        info: current,
        sidecar: currentSidecar,
      }),
      current,
    ).meta
    : null;
  c.precondition?.(currentMeta);
  const versioned = state === "" ? null : await beforeVersionedWrite(
    store,
    { bucket, keySegments: loc.segments, state },
    current && currentMeta ? { segments, info: current, meta: currentMeta } : null,
  );
  let versionId = c.restore ? c.restore.versionId : versioned?.versionId;
  if (versioned && !withSidecar) {
    const stamped = stampVersion({ doc: c.doc, tmp, state, newest: versioned.newest });
    tmp = stamped.tmp;
    versionId = stamped.versionId;
  }
  const dataPath = layout.dataPath(bucket, segments);
  const heldLock = loc.lockName;
  await dirs.ensureParent({ bucket, segments, base: layout.bucketDir(bucket), heldLock });
  if (withSidecar) {
    const entry: SidecarEntry = { ...attributes, versionId, id: tmp.identity };
    // With no current bytes there is no entry to keep: skip reading a sidecar.
    const sidecar = nextSidecar(
      currentSidecar,
      current ? identityOf(current) : null,
      entry,
    );
    const base = layout.metaDir(bucket);
    await dirs.ensureParent({ bucket, segments, base, createBase: true, heldLock });
    const metaTmp = await store.temp.writeText(JSON.stringify(sidecar));
    try {
      Deno.renameSync(metaTmp, layout.metaPath(bucket, segments));
    } catch (e) {
      await removeQuietly(metaTmp);
      throw e;
    }
  }
  // A large current version is linked aside so the rename below does not free its blocks.
  const aside = current && current.size >= FREE_LATER_BYTES
    ? await linkAside(store, dataPath)
    : null;
  try {
    Deno.renameSync(tmp.path, dataPath);
  } finally {
    if (aside) removeLater(store, aside);
  }
  if (!withSidecar && store.metadata && current) {
    // The replaced version's sidecar describes nothing now (readers would hash the bytes
    // anyway): removed, so they need not read it first.
    await removeSidecar(store, bucket, segments);
  }
  if (store.fsync) {
    await store.temp.syncDir(parentOf(dataPath));
    if (withSidecar) await store.temp.syncDir(parentOf(layout.metaPath(bucket, segments)));
  }
  await versioned?.after();
  await c.restore?.after();
  const etag = store.metadata ? attributes.etag : pseudoEtag(tmp.identity);
  const meta: ObjectMeta = {
    ...attributes,
    etag,
    size: tmp.size,
    lastModified: new Date(tmp.identity.mtimeMs),
    ...(state !== "" || c.restore ? { versionId: versionId ?? NULL_VERSION } : {}),
  };
  await c.committed?.(meta);
  return meta;
}

/**
 * Changes the stored attributes of the current version (e.g. its tags)
 * without touching its bytes, under the key's lock. NoSuchKey when absent.
 */
export async function updateAttributes(
  store: Store,
  target: { bucket: string; key: string },
  update: (meta: ObjectMeta) => Partial<ObjectAttributes>,
): Promise<ObjectMeta> {
  const { bucket } = target;
  const { layout, dirs } = store;
  const loc = locate(bucket, target.key);
  if (!store.metadata) {
    throw new S3Error(
      "NotImplemented",
      "Object attributes cannot be changed with -metadata=false.",
    );
  }
  // Nothing is created for a key that is not there (checked again under the lock).
  requireBucket(store, bucket);
  if (lstatSyncOrNull(layout.dataPath(bucket, loc.segments), true) === null) {
    throw new S3Error("NoSuchKey");
  }
  const base = layout.metaDir(bucket);
  await dirs.ensureParent({ bucket, segments: loc.segments, base, createBase: true });
  return await store.locks.with(loc.lockName, async () => {
    const opened = openData(store, bucket, loc.segments);
    if (!opened) {
      requireBucket(store, bucket);
      throw new S3Error("NoSuchKey");
    }
    try {
      return (await rewriteSidecar(store, { bucket, opened, heldLock: loc.lockName }, update))!;
    } finally {
      opened.file?.close();
    }
  });
}

/**
 * Replaces the sidecar of the open current file with one whose entry has the
 * attributes `update` returns (under the key's lock, `heldLock`). A version
 * id asked for that the current file does not have is null: nothing changes.
 */
export async function rewriteSidecar(
  store: Store,
  at: { bucket: string; opened: OpenedData; heldLock: string; versionId?: string },
  update: (meta: ObjectMeta) => Partial<ObjectAttributes>,
): Promise<ObjectMeta | null> {
  const { bucket, opened } = at;
  const { layout, dirs } = store;
  const segments = opened.segments;
  const id = identityOf(opened.info);
  const current = readMeta(store, { bucket, segments, info: opened.info });
  if (at.versionId !== undefined && (current.versionId ?? NULL_VERSION) !== at.versionId) {
    return null;
  }
  const { size: _s, lastModified: _l, ...attributes } = { ...current, ...update(current) };
  const sidecar: Sidecar = { v: 1, entries: [{ ...attributes, id }] };
  // A lock is acknowledged only once it would survive a power cut.
  const durable = changesLock(current, attributes);
  const tmp = await store.temp.writeText(JSON.stringify(sidecar), { durable });
  const base = layout.metaDir(bucket);
  await dirs.ensureParent({ bucket, segments, base, createBase: true, heldLock: at.heldLock });
  const metaPath = layout.metaPath(bucket, segments);
  await Deno.rename(tmp, metaPath);
  if (store.fsync || durable) await store.temp.syncDir(parentOf(metaPath));
  return { ...attributes, size: current.size, lastModified: current.lastModified };
}

/** Thrown when a version cannot do without a sidecar after all: the commit retries with one. */
class NeedsSidecar extends Error {}

/**
 * Makes a sidecar-less version's id derivable from its file: the id is its
 * modification time and inode (versioning.ts), so that time must come after
 * `newest` and after the bucket's last change of state. The temp file's own
 * time usually does (always for a new key); else it is set, under the key's
 * lock, and read back: NeedsSidecar when the file system does not keep it
 * to the millisecond.
 */
function stampVersion(
  v: { doc: Versioning; tmp: TempFile; state: VersioningState; newest?: string },
): { tmp: TempFile; versionId?: string } {
  const floor = derivedVersionFloor(v.doc, v.newest);
  if (floor === null) throw new NeedsSidecar();
  let tmp = v.tmp;
  if (tmp.identity.mtimeMs < floor) {
    const ms = Math.max(Date.now(), floor);
    const time = new Date(ms);
    Deno.utimeSync(tmp.path, time, time);
    const identity = identityOf(Deno.statSync(tmp.path));
    if (identity.mtimeMs !== ms) throw new NeedsSidecar();
    tmp = { ...tmp, identity };
  }
  const derived = derivedVersionId(v.doc, tmp.identity);
  const expected = v.state === "Enabled"
    ? idFromTime(tmp.identity.mtimeMs, tmp.identity.ino)
    : NULL_VERSION;
  if (derived !== expected) throw new NeedsSidecar();
  return { tmp, versionId: v.state === "Enabled" ? derived : undefined };
}

/** True when `path` is a directory (a synchronous lstat: page-cache metadata). */
function isDirectory(path: string): boolean {
  return lstatSyncOrNull(path, true)?.isDirectory === true;
}

/**
 * Refuses a write whose key lies below a link placed in the bucket: nothing
 * is created or replaced through it (checked before any directory is made).
 */
function refuseLinkedParent(store: Store, bucket: string, segments: readonly string[]): void {
  if (store.links.crossesLink(bucket, segments.slice(0, -1))) {
    throw new S3Error(
      "AccessDenied",
      "The key lies below a link placed in the bucket by hand; geckos3 writes through no link.",
    );
  }
}

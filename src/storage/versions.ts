/**
 * Noncurrent versions and delete markers. The current version of a key is
 * always the plain file at its path; the others live in the key's versions
 * directory (layout.versionDir), in a tree that mirrors the bucket's keys:
 *
 *   <id>        the bytes of a noncurrent version: a hard link of the file
 *               that was current, so making a version noncurrent copies nothing
 *   <id>.json   its record: a sidecar (sidecar.ts), with `marker` for a
 *               delete marker (which has no bytes) and, for the null
 *               version, `order`: its place among the ids
 *
 * A record is what makes a version exist: bytes without one are the
 * leftovers of an interrupted step. Every change links or writes the bytes
 * first and the record last, so after a crash at any step each version is
 * either there whole or was never acknowledged. Entries that a crash left
 * beside the current version are told apart by `hiddenBy` and never shown.
 */
import { S3Error } from "../errors.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { VERSIONS_ENTRY } from "./keys.ts";
import { surelyMissing } from "./libc.ts";
import { SEP } from "./paths.ts";
import { describe } from "./reads.ts";
import { parseSidecar, type Sidecar, type SidecarEntry } from "./sidecar.ts";
import type { Store } from "./store.ts";
import { type FileIdentity, identityOf, type ObjectMeta, sameIdentity } from "./types.ts";
import {
  isNewer,
  isVersionId,
  isWellFormedVersionId,
  newVersionId,
  NULL_VERSION,
} from "./version_id.ts";
import type { VersioningState } from "./versioning.ts";

/** A version's record as stored in a key's versions directory. */
export interface VersionRecord extends Sidecar {
  /** Present on a delete marker: when it was made, and the file it made noncurrent. */
  marker?: { lastModified: string; replaces?: FileIdentity };
  /** The null version's place among the ids (an id made when it became noncurrent). */
  order?: string;
}

/** A noncurrent version or delete marker's name and place. */
export interface VersionName {
  /** Version id (`null` for the null version). */
  id: string;
  /** Sorts newest first, like ids. */
  order: string;
}

/** The key's current file, with what the versioning rules need of it. */
export interface Current {
  /** File segments (the `%obj` entry when the key is also a directory). */
  segments: string[];
  /** What stat says of it. */
  info: Deno.FileInfo;
  /** Its metadata; `versionId` absent for the null version. */
  meta: ObjectMeta;
}

/** What the crash rule needs of the current file: its identity and its version id. */
export type CurrentFile = Pick<Current, "info" | "meta">;

/** The record of version `id` in `dir`, or null. */
export function readRecord(dir: string, id: string): VersionRecord | null {
  try {
    // Asked for names a directory listing gave: read at once, without asking libc first.
    return parseSidecar(Deno.readTextFileSync(dir + SEP + id + ".json")) as VersionRecord | null;
  } catch (e) {
    if (isNotFound(e) || e instanceof Deno.errors.IsADirectory) return null;
    throw e;
  }
}

/** Version directories whose sorted names are kept, and how many names in all at most. */
const NAMES_CACHE_LIMIT = 200_000;
/** A directory changed less than this long ago may change again without its mtime moving. */
const RACY_MS = 2000;
/** A version directory as last read: its names, and the records a listing read since. */
interface CachedDir {
  mtimeMs: number;
  names: VersionName[];
  records: Map<string, VersionRecord | null>;
}
const namesCache = new Map<string, CachedDir>();
let cachedNames = 0;

/**
 * The versions in `dir` (those with a record), newest first. Reads only the
 * null version's record (for its place); the others are named by their ids.
 * A large directory's names are kept while its mtime stays the same (see
 * walk.ts, WalkCache), so paging a key's 10,000 versions reads it once.
 */
export function versionNames(dir: string): VersionName[] {
  if (surelyMissing(dir)) return []; // a key never versioned (a thrown NotFound costs more)
  let mtimeMs: number;
  try {
    mtimeMs = Deno.lstatSync(dir).mtime?.getTime() ?? NaN;
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  const known = namesCache.get(dir);
  if (known?.mtimeMs === mtimeMs) return known.names;
  const names = readVersionNames(dir);
  if (known) {
    namesCache.delete(dir);
    cachedNames -= known.names.length;
  }
  if (names.length >= 64 && Date.now() - mtimeMs > RACY_MS) {
    while (cachedNames + names.length > NAMES_CACHE_LIMIT && namesCache.size > 0) {
      const [oldest, entry] = namesCache.entries().next().value!;
      namesCache.delete(oldest);
      cachedNames -= entry.names.length;
    }
    namesCache.set(dir, { mtimeMs, names, records: new Map() });
    cachedNames += names.length;
  }
  return names;
}

/**
 * The record of version `id` for a listing that has just called
 * versionNames(dir): kept with the directory's names while its mtime stays
 * the same (every record written or removed changes it), so paging a key's
 * versions again reads no file. Writers read records with readRecord.
 */
export function listedRecord(dir: string, id: string): VersionRecord | null {
  const cached = namesCache.get(dir);
  if (cached === undefined) return readRecord(dir, id);
  let record = cached.records.get(id);
  if (record === undefined) {
    record = readRecord(dir, id);
    cached.records.set(id, record);
  }
  return record;
}

/** Length of a record's name: a version id and `.json`. */
const RECORD_NAME_LENGTH = 24;

function readVersionNames(dir: string): VersionName[] {
  const ids: string[] = [];
  let hasNull = false;
  try {
    for (const e of Deno.readDirSync(dir)) {
      // Records only (`<id>.json`, 24 characters); a name of another shape is no version.
      const name = e.name;
      if (name.length === RECORD_NAME_LENGTH && name.endsWith(".json")) {
        const id = name.slice(0, -5);
        if (isVersionId(id)) ids.push(id);
      } else if (name === NULL_VERSION + ".json") hasNull = true;
    }
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  // Ids of one form sort as plain strings (natively: a comparator cost more than the reading).
  ids.sort();
  const out: VersionName[] = ids.map((id) => ({ id, order: id }));
  const order = hasNull ? readRecord(dir, NULL_VERSION)?.order : undefined;
  if (order !== undefined) {
    let at = 0;
    while (at < out.length && out[at].order < order) at++;
    out.splice(at, 0, { id: NULL_VERSION, order });
  }
  return out;
}

/**
 * True when a noncurrent entry is a leftover a crash left beside `current`
 * and not a version: one newer than the current version (a delete marker
 * whose delete did not finish), the null version when the current one is
 * null, or a marker made for the very file still current.
 */
export function hiddenBy(
  current: CurrentFile | null,
  name: VersionName,
  record: VersionRecord | null,
): boolean {
  if (current === null) return false;
  const currentId = current.meta.versionId;
  if (currentId !== undefined && currentId !== NULL_VERSION) {
    return !isNewer(currentId, name.order);
  }
  if (name.id === NULL_VERSION) return true;
  const replaces = record?.marker?.replaces;
  return replaces !== undefined && sameIdentity(replaces, identityOf(current.info));
}

/** The newest version of `dir` that is not hidden by `current`, with its record. */
export function newestNoncurrent(
  dir: string,
  current: CurrentFile | null,
): { name: VersionName; record: VersionRecord } | null {
  return visibleVersions(dir, current, 1)[0] ?? null;
}

/** The newest `limit` versions of `dir` not hidden by `current`, with their records. */
export function visibleVersions(
  dir: string,
  current: CurrentFile | null,
  limit: number,
): { name: VersionName; record: VersionRecord }[] {
  const out: { name: VersionName; record: VersionRecord }[] = [];
  for (const name of versionNames(dir)) {
    if (out.length === limit) break;
    const record = readRecord(dir, name.id);
    if (record === null || hiddenBy(current, name, record)) continue;
    if (!record.marker && sameFile(dir, name.id, current)) continue;
    out.push({ name, record });
  }
  return out;
}

/** True when the bytes of version `id` are the current file itself (a step's leftover link). */
function sameFile(dir: string, id: string, current: CurrentFile | null): boolean {
  if (current === null) return false;
  try {
    return sameIdentity(identityOf(Deno.lstatSync(dir + SEP + id)), identityOf(current.info));
  } catch {
    return false;
  }
}

/** What a versioned write does around its commit. */
export interface VersionedWrite {
  /** The new version's id (absent for a null version). */
  versionId?: string;
  /** The id (or place) the new version must be newer than, if any. */
  newest?: string;
  /** Runs after the new version is in place. */
  after(): Promise<void>;
}

/**
 * Makes room for a new current version in a versioned bucket, under the
 * key's lock: the current version becomes noncurrent (unless it is the
 * null version a Suspended write replaces), and the new version's id is
 * chosen newer than every other.
 */
export async function beforeVersionedWrite(
  store: Store,
  at: { bucket: string; keySegments: readonly string[]; state: VersioningState },
  current: Current | null,
): Promise<VersionedWrite> {
  const dir = store.layout.versionDir(at.bucket, at.keySegments);
  const currentId = current?.meta.versionId;
  if (at.state === "Enabled") {
    let newest = current ? currentId : newestNoncurrent(dir, null)?.name.order;
    if (current) {
      const nullOrder = currentId === undefined ? newVersionId(newest) : undefined;
      newest = await makeNoncurrent(store, { ...at, dir, nullOrder }, current);
    }
    return { versionId: newVersionId(newest), newest, after: () => Promise.resolve() };
  }
  // Suspended: the write is the null version, which replaces any other null version.
  if (current && currentId !== undefined) await makeNoncurrent(store, { ...at, dir }, current);
  return {
    after: async () => {
      if (!surelyMissing(dir + SEP + NULL_VERSION + ".json")) {
        await removeVersion(store, { ...at, dir, id: NULL_VERSION });
      }
    },
  };
}

/**
 * Makes the current version noncurrent without touching it: its bytes and
 * its sidecar are linked into the versions directory. The null version gets
 * a record of its own, with its place `nullOrder` (an id newer than every
 * other version's). Returns the place it got.
 */
export async function makeNoncurrent(
  store: Store,
  at: { bucket: string; dir: string; nullOrder?: string },
  current: Current,
): Promise<string> {
  const { dir } = at;
  const dataPath = store.layout.dataPath(at.bucket, current.segments);
  const id = current.meta.versionId;
  const { size: _s, lastModified: _l, versionId: _v, ...attributes } = current.meta;
  const entry: SidecarEntry = { ...attributes, id: identityOf(current.info) };
  if (id !== undefined && id !== NULL_VERSION) {
    await linkInto(store, { dir, from: dataPath, name: id });
    const sidecar = store.layout.metaPath(at.bucket, current.segments);
    if (!await linkInto(store, { dir, from: sidecar, name: id + ".json" })) {
      // No sidecar: a small version whose id is derived from its file (or one whose sidecar
      // was lost). The record is written from what was read.
      await writeRecord(store, dir, id, { v: 1, entries: [{ ...entry, versionId: id }] });
    }
    await syncIfAsked(store, dir);
    return id;
  }
  if (at.nullOrder === undefined) throw new Error("the null version needs its place");
  // A stale null record (a Suspended write's leftover) goes first.
  await removeQuietly(dir + SEP + NULL_VERSION + ".json");
  await linkInto(store, { dir, from: dataPath, name: NULL_VERSION });
  await writeRecord(store, dir, NULL_VERSION, { v: 1, entries: [entry], order: at.nullOrder });
  return at.nullOrder;
}

/** Writes a delete marker `id` for a key (the current file it replaces, if any, named). */
export async function writeMarker(
  store: Store,
  dir: string,
  marker: { id: string; order?: string; replaces?: FileIdentity; now: Date },
): Promise<void> {
  const record: VersionRecord = {
    v: 1,
    entries: [],
    marker: { lastModified: marker.now.toISOString(), replaces: marker.replaces },
    ...(marker.order ? { order: marker.order } : {}),
  };
  await writeRecord(store, dir, marker.id, record);
}

/** Writes a version's record atomically (temp file, rename), creating the directory. */
export async function writeRecord(
  store: Store,
  dir: string,
  id: string,
  record: VersionRecord,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const tmp = await store.temp.writeText(JSON.stringify(record), opts);
  try {
    await inDir(dir, () => Deno.renameSync(tmp, dir + SEP + id + ".json"));
  } catch (e) {
    await removeQuietly(tmp);
    throw e;
  }
  if (store.fsync || opts.durable) await store.temp.syncDir(dir);
}

/**
 * Links `from` into `dir` as `name`; a link already there of the same file
 * is kept. False when `from` does not exist.
 */
async function linkInto(
  store: Store,
  link: { dir: string; from: string; name: string },
): Promise<boolean> {
  const to = link.dir + SEP + link.name;
  for (let attempt = 0;; attempt++) {
    try {
      Deno.linkSync(link.from, to);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        // Left by an interrupted step: keep it if it is this file, else replace it.
        const there = Deno.lstatSync(to);
        const wanted = Deno.lstatSync(link.from);
        if (sameIdentity(identityOf(there), identityOf(wanted))) return true;
        const tmp = store.temp.newPath(".link");
        Deno.linkSync(link.from, tmp);
        Deno.renameSync(tmp, to);
        return true;
      }
      // The key's first noncurrent version: its directory is made (again, if a prune took it).
      if (!(e instanceof Deno.errors.NotFound) || attempt >= 8) throw e;
      if (surelyMissing(link.from)) return false;
      await Deno.mkdir(link.dir, { recursive: true });
    }
  }
}

/** Runs `step` in `dir`, creating the directory (again, if a prune removed it) when missing. */
async function inDir(dir: string, step: () => void): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      step();
      return;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || attempt >= 8) throw e;
      await Deno.mkdir(dir, { recursive: true });
    }
  }
}

async function syncIfAsked(store: Store, dir: string): Promise<void> {
  if (store.fsync) await store.temp.syncDir(dir);
}

/**
 * Removes a noncurrent version permanently: its record first (then it no
 * longer exists), then its bytes; prunes the directories it leaves empty.
 */
export async function removeVersion(
  store: Store,
  v: { bucket: string; keySegments: readonly string[]; dir: string; id: string },
): Promise<void> {
  await removeQuietly(v.dir + SEP + v.id + ".json");
  await syncIfAsked(store, v.dir);
  const data = v.dir + SEP + v.id;
  if (!surelyMissing(data)) await removeQuietly(data);
  await store.dirs.prune(store.layout.versionsBucketDir(v.bucket), [
    ...v.keySegments,
    VERSIONS_ENTRY,
    v.id,
  ]);
}

/** A noncurrent version opened for reading, or the delete marker it is. */
export type OpenedVersion =
  | {
    kind: "object";
    file: Deno.FsFile;
    info: Deno.FileInfo;
    meta: ObjectMeta;
    bytes?: Uint8Array<ArrayBuffer>;
  }
  | { kind: "marker"; versionId: string; lastModified: Date };

/** Opens noncurrent version `id` of a key; null when there is none (or it is hidden by `current`). */
export function openNoncurrent(
  dir: string,
  id: string,
  opts: { store: Store; current: CurrentFile | null },
): OpenedVersion | null {
  const record = readRecord(dir, id);
  if (record === null) return null;
  const name = { id, order: id === NULL_VERSION ? record.order ?? "" : id };
  if (hiddenBy(opts.current, name, record)) return null;
  if (record.marker) {
    return { kind: "marker", versionId: id, lastModified: new Date(record.marker.lastModified) };
  }
  const dataPath = dir + SEP + id;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(dataPath);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  try {
    const info = file.statSync();
    if (opts.current && sameIdentity(identityOf(info), identityOf(opts.current.info))) {
      file.close();
      return null; // the current file, linked by an interrupted step
    }
    const sidecarPath = dataPath + ".json";
    const { meta, bytes } = describe(opts.store, { dataPath, sidecarPath, info, file });
    return { kind: "object", file, info, meta: { ...meta, versionId: id }, bytes };
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * A version id from a request, returned when well formed; else
 * InvalidArgument, as S3 answers an empty or malformed one. (A well-formed
 * id that names nothing is NoSuchVersion, found where it is looked up.)
 */
export function checkVersionId(id: string): string {
  if (!isWellFormedVersionId(id)) {
    const message = id === ""
      ? "Version id cannot be the empty string"
      : "Invalid version id specified";
    throw new S3Error("InvalidArgument", message, {
      extra: { ArgumentName: "versionId", ArgumentValue: id },
    });
  }
  return id;
}

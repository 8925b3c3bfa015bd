/**
 * Reading objects: a data file is opened first, then described by the
 * sidecar entry matching the open file's identity, so a reader always gets
 * one version's bytes with that version's metadata, never a mix (see
 * DESIGN.md, "Storage format").
 */
import { md5Hex } from "../checksum/md5.ts";
import { S3Error } from "../errors.ts";
import { keyToSegments, SELF_OBJECT } from "./keys.ts";
import { readSmallFile, surelyAbsent, surelyMissing } from "./libc.ts";
import { SEP } from "./paths.ts";
import {
  findEntry,
  metaFromEntry,
  parseSidecar,
  PLAIN_MAX_BYTES,
  type Sidecar,
} from "./sidecar.ts";
import type { Store } from "./store.ts";
import { identityOf, type ObjectMeta, sameIdentity } from "./types.ts";
import { isNotFound } from "./fsutil.ts";
import { requireBucket } from "./buckets.ts";
import { NULL_VERSION } from "./version_id.ts";
import { derivedVersionId, versioningDoc } from "./versioning.ts";

/** An object opened for reading: its file and the metadata of exactly those bytes. */
export interface OpenedObject {
  /** Open handle on the data file, unless `bytes` holds it all; the caller closes it. */
  file?: Deno.FsFile;
  /** What fstat said of the data file. */
  info: Deno.FileInfo;
  /** Metadata of the version that `file` (or `bytes`) holds. */
  meta: ObjectMeta;
  /** The whole content, when it was read whole (small objects). */
  bytes?: Uint8Array<ArrayBuffer>;
}

/**
 * A data file opened (or, small, read whole; or only described) for reading,
 * with what fstat says of it and its final segments.
 */
export interface OpenedData {
  file?: Deno.FsFile;
  bytes?: Uint8Array<ArrayBuffer>;
  info: Deno.FileInfo;
  segments: string[];
}

/**
 * Objects up to this size are read whole when opened for a GET: one read into
 * memory, sent as one body, costs a fraction of a file resource and its stream.
 */
export const WHOLE_READ_MAX_BYTES = 64 * 1024;

/**
 * Opens an object for reading, or with `metaOnly` only describes it (then
 * the result may have neither file nor bytes). NoSuchKey / NoSuchBucket when
 * absent. When the file was replaced or deleted between the open and the
 * sidecar read, the open is retried.
 */
export function openObject(
  store: Store,
  bucket: string,
  key: string,
  opts: { metaOnly?: boolean } = {},
): OpenedObject {
  const segments = keyToSegments(key);
  // Only described, a small object is still read: without a sidecar, its ETag is its bytes' MD5.
  const whole = opts.metaOnly
    ? { maxBytes: PLAIN_MAX_BYTES, describeLarger: true }
    : { maxBytes: WHOLE_READ_MAX_BYTES };
  for (let attempt = 0;; attempt++) {
    const opened = openData(store, bucket, segments, { whole });
    if (!opened) {
      requireBucket(store, bucket);
      throw new S3Error("NoSuchKey");
    }
    try {
      const at = placeOf(store, bucket, opened.segments);
      const described = describe(store, { ...at, ...opened });
      const { meta, matched, bytes } = withVersion(store, bucket, described, opened.info);
      if (matched || attempt >= 8 || !replaced(at.dataPath, opened.info)) {
        return { file: opened.file, info: opened.info, meta, bytes: bytes ?? opened.bytes };
      }
    } catch (e) {
      opened.file?.close();
      throw e;
    }
    opened.file?.close(); // replaced or deleted under us: look again
  }
}

/** True when `path` no longer holds the file described by `info`. */
function replaced(path: string, info: Deno.FileInfo): boolean {
  // Page-cache metadata: a synchronous lstat is cheaper than the thread hop (hand-placed
  // objects, without sidecars, take this path for every key listed).
  const now = lstatSyncOrNull(path);
  return now === null || !sameIdentity(identityOf(now), identityOf(info));
}

/**
 * Metadata of the object file at `segments` found by a listing's walk, or
 * null when it is gone (NotFound when it goes while being described). A
 * file its sidecar describes, or one placed by hand whose ETag is
 * remembered (plain_etags.ts), is only stat'ed. Another small file is read
 * whole through openat2 (see nofollow.ts): one read serves the stat, and
 * the ETag of a file placed by hand, at a fraction of the cost of Deno's
 * stat, open and read.
 */
export async function listedMeta(
  store: Store,
  bucket: string,
  segments: readonly string[],
): Promise<ObjectMeta | null> {
  const { dataPath: path, sidecarPath } = placeOf(store, bucket, segments);
  if (store.metadata) {
    // Used only for the file stat finds now, and only if an entry (or the remembered ETag)
    // describes exactly that file: a sidecar read before the data may be older than the data.
    const sidecar = readSidecarAt(sidecarPath);
    if (sidecar !== null) {
      // Written through the server: the entry matching what stat says has it all. (A stat by
      // path may go through a link placed below the bucket; then no entry matches, and the
      // file is read through openat2 below, which does not follow one.)
      const info = lstatSyncOrNull(path);
      if (info?.isFile && findEntry(sidecar, identityOf(info)) !== undefined) {
        return await metaOf(store, bucket, segments, info, { sidecar });
      }
    } else if (store.plainEtags.has(path)) {
      const info = lstatSyncOrNull(path);
      const md5 = info?.isFile ? store.plainEtags.get(path, info) : undefined;
      if (md5 !== undefined) {
        return await metaOf(store, bucket, segments, info!, { plainMd5: md5, sidecar });
      }
    }
  }
  const read = store.metadata
    ? store.links.readWhole(bucket, segments, { maxBytes: PLAIN_MAX_BYTES, describeLarger: true })
    : null;
  if (read?.kind === "none" || read?.kind === "directory") return null;
  if (read?.kind === "file") {
    // The sidecar is read again, after the data: then it holds the entry of what was read.
    return await metaOf(store, bucket, segments, read.info, { bytes: read.bytes });
  }
  // Page-cache metadata: cheaper without the thread hop.
  const info = Deno.statSync(path);
  return await metaOf(store, bucket, segments, info);
}

/**
 * Metadata of a data file found by a directory walk (segments relative to
 * the bucket, info from stat): what listings show; with `versionId`, its
 * version id too.
 */
export async function metaOf(
  store: Store,
  bucket: string,
  segments: readonly string[],
  info: Deno.FileInfo,
  opts: {
    versionId?: boolean;
    bytes?: Uint8Array<ArrayBuffer>;
    plainMd5?: string;
    /** The sidecar, already read: not read again on the first try. */
    sidecar?: Sidecar | null;
  } = {},
): Promise<ObjectMeta> {
  const at = placeOf(store, bucket, segments);
  let bytes = opts.bytes;
  let plainMd5 = opts.plainMd5;
  let sidecar = opts.sidecar;
  for (let attempt = 0;; attempt++) {
    // ListObjects shows no version ids: only a version listing derives them (see withVersion).
    let described = describe(store, { ...at, info, bytes, plainMd5, sidecar });
    if (opts.versionId) described = withVersion(store, bucket, described, info);
    const { meta, matched } = described;
    if (matched || attempt >= 8 || !replaced(at.dataPath, info)) return meta;
    // Rewritten while listing: describe the version now in place (NotFound if deleted).
    info = await Deno.stat(at.dataPath);
    bytes = undefined;
    plainMd5 = undefined;
    sidecar = undefined;
  }
}

/**
 * Opens the data file of `segments`, reached without following a link below
 * the bucket (see nofollow.ts): one reached through a link is not an
 * object. Null when there is none.
 */
export function openData(
  store: Store,
  bucket: string,
  segments: string[],
  opts: { whole?: { maxBytes: number; describeLarger?: boolean } } = {},
): OpenedData | null {
  if (opts.whole !== undefined) {
    const whole = readWhole(store, bucket, segments, opts.whole);
    if (whole !== undefined) return whole;
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    const opened = openPath(store, bucket, segments);
    if (!opened) return null;
    const found = store.links.resolve(bucket, opened.segments, opened.info);
    if (found === "same") return opened;
    opened.file!.close();
    if (found === "link") return null;
    // Replaced or deleted between opening and the check: open what is there now.
  }
  return null;
}

/**
 * The data file of `segments` read whole when it is small enough (see
 * LinkCheck.readWhole), null when there is none, undefined when it is larger
 * or cannot be read so (then it is opened as a file).
 */
function readWhole(
  store: Store,
  bucket: string,
  segments: string[],
  opts: { maxBytes: number; describeLarger?: boolean },
): OpenedData | null | undefined {
  let read = store.links.readWhole(bucket, segments, opts);
  if (read?.kind === "directory") {
    // The key names a directory: its bytes, if any, are in the reserved entry inside.
    segments = [...segments, SELF_OBJECT];
    read = store.links.readWhole(bucket, segments, opts);
    if (read?.kind === "directory") return null;
  }
  if (read === null || read.kind === "large") return undefined;
  return read.kind === "file" ? { ...read, segments } : null;
}

function openPath(store: Store, bucket: string, segments: string[]): OpenedData | null {
  let path = store.layout.dataPath(bucket, segments);
  for (let attempt = 0; attempt < 2; attempt++) {
    let file: Deno.FsFile;
    try {
      // Page-cache metadata: synchronous calls cost a tenth of two thread-pool round trips. A
      // missing key (a client's HEAD before its upload) is asked of libc first: the thrown
      // NotFound cost 30-40 µs a miss, a third of the request.
      if (surelyAbsent(path)) return null;
      file = Deno.openSync(path);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const info = file.statSync();
    if (info.isFile) return { file, info, segments };
    file.close();
    if (!info.isDirectory || attempt > 0) return null;
    // The key names a directory: its bytes, if any, are in the reserved entry inside.
    segments = [...segments, SELF_OBJECT];
    path += SEP + SELF_OBJECT;
  }
  return null;
}

/** The sidecar of a data file, or null (plain objects have none). */
export function readSidecar(
  store: Store,
  bucket: string,
  segments: readonly string[],
): Sidecar | null {
  return readSidecarAt(store.layout.metaPath(bucket, segments));
}

/** The sidecar (or version record) at `path`, or null when there is none or it is unreadable. */
export function readSidecarAt(path: string): Sidecar | null {
  // Plain objects have none: asked without a NotFound to catch, and read without a thread hop.
  const bytes = readSmallFile(path);
  if (bytes === null) return null;
  if (bytes !== undefined) return parseSidecar(utf8.decode(bytes));
  try {
    // A sidecar is a few hundred bytes: read it in one call, without a thread-pool hop.
    return parseSidecar(Deno.readTextFileSync(path));
  } catch (e) {
    if (isNotFound(e) || e instanceof Deno.errors.IsADirectory) return null;
    throw e;
  }
}

const utf8 = new TextDecoder();

/** Where a data file and the sidecar describing it are. */
export interface Place {
  /** The data file. */
  dataPath: string;
  /** Its sidecar (for a noncurrent version: its record). */
  sidecarPath: string;
}

/** The place of the current object file at `segments`. */
export function placeOf(store: Store, bucket: string, segments: readonly string[]): Place {
  const { layout } = store;
  return {
    dataPath: layout.dataPath(bucket, segments),
    sidecarPath: layout.metaPath(bucket, segments),
  };
}

/** A data file to describe: its place, what stat says, and its open handle if there is one. */
export interface DataFile extends Place {
  info: Deno.FileInfo;
  file?: Deno.FsFile;
  /** Its whole content, when it was read whole. */
  bytes?: Uint8Array<ArrayBuffer>;
  /** Its sidecar, when already read (then it is not read again). */
  sidecar?: Sidecar | null;
  /** The MD5 of its bytes, remembered for exactly this file (plain_etags.ts): not read again. */
  plainMd5?: string;
}

/** Metadata of the current object file at `segments` (see describe). */
export function readMeta(
  store: Store,
  data: { bucket: string; segments: readonly string[]; info: Deno.FileInfo },
): ObjectMeta {
  const at = placeOf(store, data.bucket, data.segments);
  return withVersion(store, data.bucket, describe(store, { ...at, info: data.info }), data.info)
    .meta;
}

/** What describe() found of a data file. */
export interface Described {
  /** Its metadata. */
  meta: ObjectMeta;
  /** Whether the metadata is of exactly this file (see describe). */
  matched: boolean;
  /** Whether a sidecar entry described it (else it is described by its bytes and stat). */
  entry?: boolean;
  /** The whole content, when it was read to compute the ETag. */
  bytes?: Uint8Array<ArrayBuffer>;
}

/**
 * A current file's metadata with its version id: for a file no sidecar entry
 * describes, in a versioned bucket, the id derived from the file (see
 * versioning.ts); the null version's is left absent.
 */
export function withVersion(
  store: Store,
  bucket: string,
  d: Described,
  info: Deno.FileInfo,
): Described {
  if (d.entry || !store.metadata || d.meta.versionId !== undefined) return d;
  const id = derivedVersionId(versioningDoc(store, bucket, { forRead: true }), identityOf(info));
  if (id === undefined || id === NULL_VERSION) return d;
  return { ...d, meta: { ...d.meta, versionId: id } };
}

/**
 * Metadata of a data file, and whether it describes exactly this file: its
 * sidecar had an entry for it, or (small files without one) its bytes were
 * read, from `file` when given, and hashed for the ETag.
 */
export function describe(
  store: Store,
  { dataPath, sidecarPath, info, file, bytes: whole, sidecar, plainMd5 }: DataFile,
): Described {
  const id = identityOf(info);
  if (!store.metadata) {
    return {
      meta: metaFromEntry(undefined, info, id, "application/octet-stream"),
      matched: true,
    };
  }
  const entry = findEntry(sidecar === undefined ? readSidecarAt(sidecarPath) : sidecar, id);
  if (entry !== undefined) {
    return { meta: metaFromEntry(entry, info, id), matched: true, entry: true };
  }
  // No entry: the file was written without a sidecar or placed by hand, unless it has been
  // replaced since it was opened and the sidecar read describes its successors (or was removed
  // by one written without a sidecar). (Read by path, readPlain itself checks that the file
  // there is still this one.)
  const small = info.size <= PLAIN_MAX_BYTES;
  if (small && plainMd5 !== undefined) {
    return { meta: metaFromEntry(undefined, info, id, undefined, plainMd5), matched: true };
  }
  const gone = (file || whole || !small) && replaced(dataPath, info);
  const bytes = small && !gone ? whole ?? readPlain(file ?? dataPath, info) : null;
  if (bytes === null) {
    return { meta: metaFromEntry(undefined, info, id), matched: !small && !gone };
  }
  const md5 = md5Hex(bytes);
  store.plainEtags.set(dataPath, info, md5);
  return { meta: metaFromEntry(undefined, info, id, undefined, md5), matched: true, bytes };
}

/**
 * The whole content of a small data file: from the open `source` (left at
 * its start for the caller), or by opening the path, when the file there is
 * still the one `info` describes. Null when it is not (replaced meanwhile)
 * or ends before its size.
 */
function readPlain(
  source: Deno.FsFile | string,
  info: Deno.FileInfo,
): Uint8Array<ArrayBuffer> | null {
  if (typeof source !== "string") {
    const bytes = readExactly(source, info.size);
    source.seekSync(0, Deno.SeekMode.Start);
    return bytes;
  }
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(source);
  } catch {
    return null; // removed meanwhile
  }
  try {
    const same = sameIdentity(identityOf(file.statSync()), identityOf(info));
    return same ? readExactly(file, info.size) : null;
  } finally {
    file.close();
  }
}

/** `size` bytes read from the file's position, or null when it ends first. */
function readExactly(file: Deno.FsFile, size: number): Uint8Array<ArrayBuffer> | null {
  const bytes = new Uint8Array(size);
  for (let filled = 0; filled < size;) {
    const n = file.readSync(bytes.subarray(filled));
    if (n === null || n === 0) return null;
    filled += n;
  }
  return bytes;
}

/**
 * Where the bytes of the object at `segments` live: that path, or the reserved
 * entry inside it when it is a directory (see keys.ts SELF_OBJECT); with what
 * lstat says there, null when nothing is. With `likelyMissing`, see lstatSyncOrNull.
 */
export function objectFile(
  store: Store,
  bucket: string,
  segments: string[],
  likelyMissing = false,
): { segments: string[]; info: Deno.FileInfo | null } {
  const info = lstatSyncOrNull(store.layout.dataPath(bucket, segments), likelyMissing);
  if (!info?.isDirectory) return { segments, info };
  const inside = [...segments, SELF_OBJECT];
  return { segments: inside, info: lstatSyncOrNull(store.layout.dataPath(bucket, inside)) };
}

/**
 * lstat, or null when nothing is there. With `likelyMissing` (a PUT's new
 * key), absence is asked of libc first: a thrown NotFound costs about 20 µs.
 */
export function lstatSyncOrNull(path: string, likelyMissing = false): Deno.FileInfo | null {
  if (likelyMissing && surelyMissing(path)) return null;
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

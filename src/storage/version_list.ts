/**
 * ListObjectVersions: the bucket's walk (current files) merged with the
 * walk of its versions tree (keys with noncurrent versions or delete
 * markers), both in S3 key order; each key's versions newest first. Only
 * the keys and versions the page needs are read: a key-marker starts both
 * walks there, and a version-id-marker is found by its place among the
 * names of one key's versions directory.
 */
import { requireBucket } from "./buckets.ts";
import { keyToSegments } from "./keys.ts";
import { describe, metaOf, objectFile } from "./reads.ts";
import { SEP } from "./paths.ts";
import type { Store } from "./store.ts";
import { type FileIdentity, identityOf, type ObjectMeta, sameIdentity } from "./types.ts";
import { NULL_VERSION } from "./version_id.ts";
import {
  type Current,
  hiddenBy,
  listedRecord,
  versionNames,
  type VersionRecord,
} from "./versions.ts";
import { compareKeys, walkBucket, type WalkItem } from "./walk.ts";
import { TimeSlice } from "./time_slice.ts";

/** Which part of a bucket's version listing to read. */
export interface VersionListOptions {
  /** Only keys starting with this. */
  prefix: string;
  /** Roll keys up to the first delimiter after the prefix ("" for none). */
  delimiter: string;
  /** Start after this key (or within it, after `versionIdMarker`). */
  keyMarker: string;
  /** With keyMarker: start after this version of that key. */
  versionIdMarker: string;
  /** Most entries (versions, delete markers and prefixes) in the page. */
  maxKeys: number;
}

/** One version or delete marker as listed. */
export interface VersionEntry {
  key: string;
  versionId: string;
  isLatest: boolean;
  /** The version's metadata; absent for a delete marker. */
  meta?: ObjectMeta;
  lastModified: Date;
}

/** A page of a version listing. */
export interface VersionPage {
  /** Versions and delete markers, in order. */
  versions: VersionEntry[];
  /** Common prefixes, in order. */
  prefixes: string[];
  /** Whether more entries follow. */
  truncated: boolean;
  /** Where the next page starts (when truncated). */
  next?: { keyMarker: string; versionIdMarker?: string };
}

/** Reads one page of a bucket's versions. */
export async function listVersions(
  store: Store,
  bucket: string,
  opts: VersionListOptions,
): Promise<VersionPage> {
  requireBucket(store, bucket);
  const page: VersionPage = { versions: [], prefixes: [], truncated: false };
  if (opts.maxKeys <= 0) return page;
  let last: VersionPage["next"];
  /** Adds an entry unless the page is full (then it is marked truncated). */
  const add = (entry: VersionEntry | string): boolean => {
    if (page.versions.length + page.prefixes.length === opts.maxKeys) {
      page.truncated = true;
      page.next = last;
      return false;
    }
    if (typeof entry === "string") {
      page.prefixes.push(entry);
      last = { keyMarker: entry };
    } else {
      page.versions.push(entry);
      last = { keyMarker: entry.key, versionIdMarker: entry.versionId };
    }
    return true;
  };
  const { keyMarker, versionIdMarker } = opts;
  if (keyMarker !== "" && versionIdMarker !== "" && keyMarker.startsWith(opts.prefix)) {
    for await (const entry of keyVersions(store, bucket, keyMarker, versionIdMarker)) {
      if (!add(entry)) return page;
    }
  }
  const walkOpts = {
    prefix: opts.prefix,
    delimiter: opts.delimiter,
    after: keyMarker,
    slice: new TimeSlice(),
  };
  const current = walkBucket(store.layout.bucketDir(bucket), walkOpts, store.walkCache);
  const noncurrent = walkBucket(
    store.layout.versionsBucketDir(bucket),
    walkOpts,
    store.versionWalkCache,
  );
  for await (const item of merged(current, noncurrent)) {
    if (item.type === "prefix") {
      if (!add(item.prefix)) return page;
      continue;
    }
    for await (const entry of keyVersions(store, bucket, item.key, "")) {
      if (!add(entry)) return page;
    }
  }
  return page;
}

/** Two ordered walks as one: a key or prefix both yield comes once. */
async function* merged(
  a: AsyncGenerator<WalkItem>,
  b: AsyncGenerator<WalkItem>,
): AsyncGenerator<WalkItem> {
  const name = (i: WalkItem) => (i.type === "prefix" ? i.prefix : i.key);
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && compareKeys(name(x.value), name(y.value)) < 0)) {
      yield x.value!;
      x = await a.next();
    } else if (x.done || compareKeys(name(x.value), name(y.value)) > 0) {
      yield y.value;
      y = await b.next();
    } else {
      yield x.value;
      x = await a.next();
      y = await b.next();
    }
  }
}

/**
 * A key's versions, newest first: the current file, then the noncurrent
 * versions and delete markers; after version `after` when given.
 */
async function* keyVersions(
  store: Store,
  bucket: string,
  key: string,
  after: string,
): AsyncGenerator<VersionEntry> {
  const keySegments = keyToSegments(key);
  let current: Current | null = null;
  const found = objectFile(store, bucket, keySegments);
  if (found.info?.isFile) {
    try {
      const meta = await metaOf(store, bucket, found.segments, found.info, { versionId: true });
      current = { segments: found.segments, info: found.info, meta };
    } catch {
      // deleted while listing
    }
  }
  const currentId = current ? current.meta.versionId ?? NULL_VERSION : null;
  const dir = store.layout.versionDir(bucket, keySegments);
  const names = versionNames(dir);
  let start = 0;
  if (after !== "" && after !== currentId) {
    // Past the named version: every name sorting before it, or (the null version) at its place.
    const order = after === NULL_VERSION
      ? names.find((n) => n.id === NULL_VERSION)?.order ?? null
      : after;
    if (order === null) return;
    while (start < names.length && names[start].order <= order) start++;
  }
  let latest = current === null && start === 0;
  if (current && after === "") {
    yield {
      key,
      versionId: currentId!,
      isLatest: true,
      meta: { ...current.meta, versionId: currentId! },
      lastModified: current.meta.lastModified,
    };
  }
  for (let i = start; i < names.length; i++) {
    const name = names[i];
    const record = listedRecord(dir, name.id);
    if (record === null || hiddenBy(current, name, record)) continue;
    if (record.marker) {
      yield {
        key,
        versionId: name.id,
        isLatest: latest,
        lastModified: new Date(record.marker.lastModified),
      };
      latest = false;
      continue;
    }
    const meta = noncurrentMeta(store, { dir, id: name.id, record });
    if (meta === null) continue; // removed while listing
    if (current && sameIdentity(meta.identity, identityOf(current.info))) continue;
    yield {
      key,
      versionId: name.id,
      isLatest: latest,
      meta: meta.meta,
      lastModified: meta.meta.lastModified,
    };
    latest = false;
  }
}

/**
 * A noncurrent version's metadata and its file's identity. Its bytes never
 * change once noncurrent, so the record's entry of this version describes
 * them without a stat; a record without one (a null version written without
 * metadata) is described from the file.
 */
function noncurrentMeta(
  store: Store,
  v: { dir: string; id: string; record: VersionRecord },
): { meta: ObjectMeta; identity: FileIdentity } | null {
  const versionId = v.id === NULL_VERSION ? undefined : v.id;
  const entry = v.record.entries.find((e) => e.versionId === versionId && e.id);
  if (entry) {
    const { id: identity, ...attributes } = entry;
    const lastModified = new Date(identity.mtimeMs);
    return {
      meta: { ...attributes, size: identity.size, lastModified, versionId: v.id },
      identity,
    };
  }
  const dataPath = v.dir + SEP + v.id;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dataPath);
  } catch {
    return null;
  }
  const sidecarPath = dataPath + ".json";
  const { meta } = describe(store, { dataPath, sidecarPath, info, sidecar: v.record });
  return { meta: { ...meta, versionId: v.id }, identity: identityOf(info) };
}

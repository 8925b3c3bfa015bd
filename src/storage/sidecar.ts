/**
 * Metadata sidecars: a small JSON file per object in the `.geckos3/meta`
 * tree. A sidecar holds up to two entries, the newest first, each tied to a
 * data file by its identity (size, mtime, inode). A writer renames the new
 * sidecar into place before the data file, keeping the entry of the data
 * file still in place, so a reader always finds the entry of the bytes it
 * opened, even if the writer crashed between the two renames. Small objects
 * with nothing but their bytes have no sidecar at all (PLAIN_MAX_BYTES).
 */
import { createHash } from "node:crypto";
import { etagOf } from "../checksum/etag.ts";
import type { FileIdentity, ObjectAttributes, ObjectMeta } from "./types.ts";
import { sameIdentity } from "./types.ts";

/** One sidecar entry: a version's identity and attributes. */
export interface SidecarEntry extends ObjectAttributes {
  /** Identity of the data file this entry describes. */
  id: FileIdentity;
  /** Quoted ETag. */
  etag: string;
  /** The version's id in a versioned bucket (absent for the null version). */
  versionId?: string;
}

/** The sidecar file format. */
export interface Sidecar {
  /** Format version. */
  v: 1;
  /** Newest first; at most two. */
  entries: SidecarEntry[];
}

/** Content type served when none is known. */
export const DEFAULT_CONTENT_TYPE = "binary/octet-stream";

/**
 * Largest object written without a sidecar when it has nothing but its
 * bytes (see isPlain): its ETag, the MD5 of those bytes, is computed again
 * whenever it is read, which at this size costs less than a second file per
 * write (and gives files placed by hand real ETags too).
 */
export const PLAIN_MAX_BYTES = 16 * 1024;

/** True when the attributes are all defaults: a sidecar would add nothing to the bytes. */
export function isPlain(a: ObjectAttributes): boolean {
  return a.contentType === DEFAULT_CONTENT_TYPE && a.etag === undefined &&
    isEmpty(a.headers) && isEmpty(a.userMeta) && isEmpty(a.checksums) && isEmpty(a.tags) &&
    !a.acl && !a.sse && !a.ssec && !a.retention && a.legalHold === undefined &&
    a.checksumType === undefined && a.parts === undefined && a.partInfo === undefined;
}

function isEmpty(record: Record<string, string> | undefined): boolean {
  for (const _ in record) return false;
  return true;
}

/** Parses sidecar text; returns null for anything unreadable. */
export function parseSidecar(text: string): Sidecar | null {
  try {
    const doc = JSON.parse(text);
    if (doc && doc.v === 1 && Array.isArray(doc.entries)) return doc as Sidecar;
  } catch {
    // A torn or hand-edited sidecar counts as absent.
  }
  return null;
}

/** Finds the entry describing the data file with identity `id`. */
export function findEntry(sidecar: Sidecar | null, id: FileIdentity): SidecarEntry | undefined {
  return sidecar?.entries.find((e) => e.id && sameIdentity(e.id, id));
}

/** Builds the sidecar to write: the new entry first, then the entry of the data file being replaced. */
export function nextSidecar(
  current: Sidecar | null,
  replacing: FileIdentity | null,
  entry: SidecarEntry,
): Sidecar {
  const keep = replacing ? findEntry(current, replacing) : undefined;
  return { v: 1, entries: keep ? [entry, keep] : [entry] };
}

/**
 * A stable ETag for a file with no metadata: a hash of its size and mtime,
 * as used with `-metadata=false` and for files placed by hand.
 */
export function pseudoEtag(id: FileIdentity): string {
  return etagOf(createHash("md5").update(`${id.size}:${id.mtimeMs}`).digest("hex"));
}

/**
 * The metadata of a file from its sidecar entry, or defaults when it has
 * none: then the ETag is `md5` (hex) when the bytes were hashed, else a
 * pseudo-ETag.
 */
export function metaFromEntry(
  entry: SidecarEntry | undefined,
  info: Deno.FileInfo,
  id: FileIdentity,
  defaultContentType = DEFAULT_CONTENT_TYPE,
  md5?: string,
): ObjectMeta {
  const lastModified = info.mtime ?? new Date(0);
  if (!entry) {
    return {
      etag: md5 === undefined ? pseudoEtag(id) : etagOf(md5),
      size: info.size,
      lastModified,
      contentType: defaultContentType,
      headers: {},
      userMeta: {},
    };
  }
  const { id: _id, ...attrs } = entry;
  return { ...attrs, size: info.size, lastModified };
}

/** Types shared by the storage layer and the S3 operations. */

/** Standard HTTP headers stored with an object and returned on GET/HEAD. */
export const STORED_HEADERS = [
  "content-encoding",
  "content-disposition",
  "cache-control",
  "content-language",
  "expires",
] as const;

/** What a writer supplies about a new object besides its bytes. */
export interface ObjectAttributes {
  /** Content-Type; S3 defaults it to `binary/octet-stream`. */
  contentType: string;
  /** Stored standard headers (lower-case names from STORED_HEADERS). */
  headers: Record<string, string>;
  /** `x-amz-meta-*` values by lower-case name without the prefix. */
  userMeta: Record<string, string>;
  /** Flexible checksums by algorithm (`crc32`, `sha256`, ...), base64; composite ones end in `-N`. */
  checksums?: Record<string, string>;
  /** `FULL_OBJECT` or `COMPOSITE` when checksums are present. */
  checksumType?: string;
  /** Object tags. */
  tags?: Record<string, string>;
  /** The object's access control list; absent for the default (the owner's full control). */
  acl?: AclGrant[];
  /** SSE-C: the stored bytes are encrypted with the client's key (of which only the MD5 is kept). */
  ssec?: {
    keyMd5: string;
    /** The IV, base64; of a multipart object, the base each part's own IV derives from. */
    iv: string;
    /** A multipart object's part numbers, in order: each part was encrypted on its own. */
    parts?: number[];
  };
  /** Object Lock retention: the mode and the instant (ISO 8601) until which it holds. */
  retention?: { mode: "GOVERNANCE" | "COMPLIANCE"; until: string };
  /** Object Lock legal hold: true ON, false OFF (absent: never set). */
  legalHold?: boolean;
  /** Server-side encryption asked for (recorded and reported; the bytes stay plain). */
  sse?: { algorithm: string; kmsKeyId?: string; bucketKeyEnabled?: boolean };
  /** Number of parts of a multipart object. */
  parts?: number;
  /** Part sizes and checksums of a multipart object, for GetObjectAttributes. */
  partInfo?: { size: number; checksums?: Record<string, string> }[];
  /** ETag to store instead of the MD5 of the bytes (multipart `md5-N`), quoted. */
  etag?: string;
}

/** One grant of an access control list. */
export interface AclGrant {
  /** The grantee's canonical user id, for a user grantee. */
  id?: string;
  /** The group's URI, for a group grantee (AllUsers, AuthenticatedUsers, LogDelivery). */
  uri?: string;
  /** FULL_CONTROL, READ, WRITE, READ_ACP or WRITE_ACP. */
  permission: string;
}

/** Everything known about a stored object. */
export interface ObjectMeta extends ObjectAttributes {
  /** Quoted ETag. */
  etag: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time of the data file. */
  lastModified: Date;
  /**
   * The version's id: `null` for the null version, absent when the bucket
   * has never had versioning enabled.
   */
  versionId?: string;
}

/** A bucket as listed. */
export interface BucketInfo {
  /** Bucket name. */
  name: string;
  /** Creation time (the directory's birth or modification time). */
  created: Date;
}

/** A bucket configuration document as stored, with a stamp that changes whenever it does. */
export interface ConfigDocument {
  /** The document's text. */
  text: string;
  /** Changes whenever the document is replaced (for caches of its parsed form). */
  stamp: string;
}

/** Objects and bytes stored in one bucket. */
export interface BucketUsage {
  /** Bucket name. */
  bucket: string;
  /** Number of objects. */
  objects: number;
  /** Total size of their bytes. */
  bytes: number;
  /** Noncurrent versions kept (versioned buckets). */
  noncurrentVersions: number;
  /** Total size of their bytes. */
  noncurrentBytes: number;
  /** Delete markers. */
  deleteMarkers: number;
}

/** An open object: its metadata and a reader of exactly the bytes it describes. */
export interface ObjectReader {
  /** Metadata of the version opened. */
  readonly meta: ObjectMeta;
  /**
   * `length` bytes from `start` (the whole object by default): bytes already
   * in memory, or a stream that releases the object when it ends or is
   * cancelled. Call at most once.
   */
  body(start?: number, length?: number): ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>;
  /** Releases the object now (also after body(), once its stream is no longer read). */
  close(): void;
}

/** An object, or one version of it, to delete. */
export interface DeleteTarget {
  bucket: string;
  key: string;
  /** A version id (`null` for the null version); without one, the current version. */
  versionId?: string;
  /** Whether the caller may, and asked to, remove a version under GOVERNANCE retention. */
  bypassGovernance?: boolean;
  /**
   * Runs under the key's lock once something was removed or a delete marker
   * made (not when there was nothing to delete), with what happened.
   */
  committed?: (done: { versionId?: string; deleteMarker?: boolean }) => void | Promise<void>;
}

/** Called under the key's lock with the current object (or null) before a write commits; throws to refuse. */
export type Precondition = (current: ObjectMeta | null) => void;

/** Options of a write. */
export interface PutOptions {
  /** Attributes of the new object. */
  attributes: ObjectAttributes;
  /**
   * Runs after the body is fully stored and before the commit, with its size
   * and MD5; may throw to abort (nothing is written) or return attributes to add.
   */
  finalize?: (
    written: { size: number; md5: Uint8Array },
  ) => Partial<ObjectAttributes> | void | Promise<Partial<ObjectAttributes> | void>;
  /** Checked under the lock against the current version. */
  precondition?: Precondition;
  /**
   * Runs under the key's lock once the new version is in place, before the
   * write returns: what must follow the key's changes in their order (an
   * event notification queued).
   */
  committed?: (meta: ObjectMeta) => void | Promise<void>;
  /** Compute the body's MD5 even when metadata is off (e.g. to check Content-MD5). */
  needMd5?: boolean;
}

/** Which part of a bucket's listing to read. */
export interface ListOptions {
  /** Only keys starting with this. */
  prefix: string;
  /** Roll keys up to the first delimiter after the prefix ("" for none). */
  delimiter: string;
  /** Exclusive lower bound: only keys and prefixes sorting after this. */
  after: string;
  /** Most entries (objects and prefixes) in the page. */
  maxKeys: number;
}

/** A page of a listing. */
export interface ListPage {
  /** Objects, in order. */
  objects: { key: string; meta: ObjectMeta }[];
  /** Common prefixes, in order. */
  prefixes: string[];
  /** Whether more entries follow. */
  truncated: boolean;
  /** The last key or prefix of the page (where the next page starts after). */
  last: string | null;
}

/** What CreateMultipartUpload recorded. */
export interface UploadInfo {
  key: string;
  uploadId: string;
  initiated: string;
  attributes: ObjectAttributes;
  /** Checksum algorithm announced at create (lower case), if any. */
  checksumAlgorithm?: string;
  /** `COMPOSITE` or `FULL_OBJECT` when a checksum algorithm was announced. */
  checksumType?: string;
}

/** One stored part. */
export interface PartInfo {
  partNumber: number;
  /** Quoted MD5 hex. */
  etag: string;
  size: number;
  lastModified: string;
  /** Data file name inside the upload directory; absent for a part written in place. */
  file?: string;
  /** Offset of the part in the upload's assembly file, for a part written in place. */
  offset?: number;
  checksums?: Record<string, string>;
}

/** Identity of a data file, recorded in its sidecar so readers can tell versions apart. */
export interface FileIdentity {
  /** Size in bytes. */
  size: number;
  /** Modification time in ms since the epoch. */
  mtimeMs: number;
  /** Inode number (0 where the platform has none). */
  ino: number;
}

/** Returns the identity of a stat result. */
export function identityOf(info: Deno.FileInfo): FileIdentity {
  return { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0, ino: info.ino ?? 0 };
}

/** True when two identities describe the same file version. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

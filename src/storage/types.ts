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
  /** Number of parts of a multipart object. */
  parts?: number;
  /** Part sizes and checksums of a multipart object, for GetObjectAttributes. */
  partInfo?: { size: number; checksums?: Record<string, string> }[];
  /** ETag to store instead of the MD5 of the bytes (multipart `md5-N`), quoted. */
  etag?: string;
}

/** Everything known about a stored object. */
export interface ObjectMeta extends ObjectAttributes {
  /** Quoted ETag. */
  etag: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time of the data file. */
  lastModified: Date;
}

/** A bucket as listed. */
export interface BucketInfo {
  /** Bucket name. */
  name: string;
  /** Creation time (the directory's birth or modification time). */
  created: Date;
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

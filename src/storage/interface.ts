/**
 * The Storage interface: every call the S3 operations, the front and the
 * metrics make of the store. Nothing above the storage layer sees a path, a
 * file handle or a directory walk; a new capability (versions, policies,
 * lifecycle, notifications) is a new call here.
 */
import type { Rename } from "./rename.ts";
import type { QueueBatch, QueuePosition } from "./event_queue.ts";
import type { DeleteResult } from "./version_ops.ts";
import type { VersionListOptions, VersionPage } from "./version_list.ts";
import type { VersioningState } from "./versioning.ts";
import type {
  BucketInfo,
  BucketUsage,
  ConfigDocument,
  DeleteTarget,
  ListOptions,
  ListPage,
  ObjectAttributes,
  ObjectMeta,
  ObjectReader,
  PartInfo,
  Precondition,
  PutOptions,
  UploadInfo,
} from "./types.ts";

/** An object, or one version of it. */
export interface ObjectTarget {
  bucket: string;
  key: string;
  /** A version id (`null` for the null version); the current version when absent. */
  versionId?: string;
}

/** A body to store: a stream, bytes already in memory, or nothing (an empty object). */
export type Body = ReadableStream<Uint8Array> | Uint8Array | null;

/** The object store. */
export interface Storage {
  /** Whether object metadata (content type, user metadata, tags, checksums) is kept. */
  readonly metadataEnabled: boolean;
  /** Multipart uploads. */
  readonly uploads: Uploads;
  /** Queues of event notifications, one per target. */
  readonly events: EventQueue;

  /** Throws unless the store can create and remove a file now (readiness probe). */
  checkWritable(): Promise<void>;
  /** Every bucket, by name. */
  listBuckets(): Promise<BucketInfo[]>;
  /** Throws NoSuchBucket unless the bucket exists. */
  requireBucket(bucket: string): void;
  /** Creates a bucket: InvalidBucketName, BucketAlreadyOwnedByYou. */
  createBucket(bucket: string): Promise<void>;
  /** Deletes an empty bucket with its configuration and uploads: NoSuchBucket, BucketNotEmpty. */
  deleteBucket(bucket: string): Promise<void>;
  /** A bucket configuration document (CORS rules, ...) by name; null when absent. */
  readBucketConfig(bucket: string, name: string): Promise<ConfigDocument | null>;
  /** Replaces a bucket configuration document atomically; null removes it. */
  writeBucketConfig(bucket: string, name: string, text: string | null): Promise<void>;
  /** A stamp that changes whenever any of the bucket's configuration documents does. */
  configStamp(bucket: string): string;
  /** A state document of background work (how far a scan got), by name; null when absent. */
  readState(name: string): Promise<string | null>;
  /** Replaces a state document atomically; null removes it. */
  writeState(name: string, text: string | null): Promise<void>;

  /** A bucket's versioning state: "" (never enabled), Enabled or Suspended. NoSuchBucket. */
  versioning(bucket: string): VersioningState;
  /**
   * Enables or suspends versioning. NoSuchBucket; NotImplemented without metadata;
   * InvalidBucketState when Object Lock pins it.
   */
  setVersioning(bucket: string, state: "Enabled" | "Suspended"): Promise<void>;
  /** Whether Object Lock is enabled on the bucket (false for one that does not exist). */
  objectLockEnabled(bucket: string): boolean;
  /** Enables Object Lock for good: InvalidBucketState unless versioning is Enabled. */
  enableObjectLock(bucket: string): Promise<void>;

  /**
   * Opens an object (its current version, or version `versionId`): its metadata and a reader
   * of exactly those bytes. NoSuchKey, NoSuchVersion, NoSuchBucket; MethodNotAllowed for a
   * delete marker named by its id.
   */
  openObject(bucket: string, key: string, versionId?: string): ObjectReader;
  /** An object's metadata (see openObject). */
  headObject(bucket: string, key: string, versionId?: string): ObjectMeta;
  /** Stores an object atomically (a new version in a versioned bucket) and returns its metadata. */
  putObject(bucket: string, key: string, body: Body, opts: PutOptions): Promise<ObjectMeta>;
  /**
   * Changes the attributes (tags, ...) of a version (the current one by default), not its
   * bytes; `update` runs under the key's lock and may throw. A change of Object Lock
   * attributes is durable (synced) before it returns.
   */
  updateAttributes(
    target: ObjectTarget,
    update: (meta: ObjectMeta) => Partial<ObjectAttributes>,
  ): Promise<ObjectMeta>;
  /**
   * Deletes an object (no error when it is absent): in a versioned bucket, adds a delete
   * marker, or with `versionId` removes that version. `precondition`, when given, is checked
   * under the key's lock against the version deleted (null when absent) and may throw.
   * AccessDenied for a version that Object Lock protects (see object_lock.ts).
   */
  deleteObject(
    target: DeleteTarget,
    precondition?: Precondition,
  ): Promise<DeleteResult>;
  /** Renames an object within its bucket atomically, its metadata with it. NoSuchKey. */
  renameObject(rename: Rename): Promise<void>;
  /** One page of a bucket's listing, in S3 order, with each object's metadata. */
  listObjects(bucket: string, opts: ListOptions): Promise<ListPage>;
  /** One page of a bucket's versions and delete markers, keys in S3 order, newest first. */
  listVersions(bucket: string, opts: VersionListOptions): Promise<VersionPage>;

  /** Objects and bytes per bucket (walks every bucket: for metrics, not requests). */
  usage(): Promise<BucketUsage[]>;
  /** Resolves when cleanup started after earlier responses has finished. */
  idle(): Promise<void>;
  /** Finishes background work and releases what the store holds. */
  close(): Promise<void>;
}

/** Durable queues of event notifications (see event_queue.ts). */
export interface EventQueue {
  /**
   * Appends the line `line(sequencer)` makes to a target's queue before it
   * returns; the sequencer grows with each append. False when the queue is
   * full: the event is dropped.
   */
  append(target: string, line: (sequencer: string) => string): Promise<boolean>;
  /** Lines queued after the cursor (a batch), each with the position after it. */
  read(target: string): Promise<QueueBatch>;
  /** Records that everything before `next` was delivered. */
  ack(target: string, next: QueuePosition): Promise<void>;
  /** Makes this process the target's sender unless another process is (false). */
  claimSender(target: string): Promise<boolean>;
  /** Appends `text` to a file (a JSON-lines target), synced before it returns. */
  appendToFile(path: string, text: string): Promise<void>;
}

/** What a part's bytes are checked against once written: returns the part's checksums. */
export type PartCheck = (
  written: { size: number; md5: Uint8Array },
) => Record<string, string> | undefined;

/** A part to store. */
export interface PartInput {
  bucket: string;
  key: string;
  uploadId: string;
  partNumber: number;
  body: Body;
  /** The body's length when known (parts of known length may be written in place). */
  length: number | null;
  /** Throws to refuse the bytes (BadDigest, ...); its result is stored with the part. */
  check: PartCheck;
  /** The part's MD5 is needed (a Content-MD5 to check): its ETag is then that MD5. */
  needMd5?: boolean;
}

/** The S3 rules a completion applies, passed in by the operation. */
export interface CompletionRules {
  /**
   * The parts that make the object, chosen from those stored (throws to
   * refuse the request), and optionally an observer that sees every byte of
   * the assembled object in order (a full-object checksum).
   */
  choose(
    info: UploadInfo,
    stored: ReadonlyMap<number, PartInfo>,
  ): Promise<{ parts: PartInfo[]; observe?: (chunk: Uint8Array) => void }>;
  /** The new object's attributes (its ETag included) once its bytes are assembled; may throw. */
  attributes(info: UploadInfo, parts: readonly PartInfo[]): ObjectAttributes & { etag: string };
  /** Checked under the key's lock against the current version. */
  precondition?: PutOptions["precondition"];
  /** Runs under the key's lock once the object is in place (see PutOptions.committed). */
  committed?: PutOptions["committed"];
  /**
   * Whether a completion of an upload already completed asks for exactly the `parts` that made
   * it: a retry (its response was lost), which is answered with that object.
   */
  isRetryOf(parts: readonly { partNumber: number; etag: string }[]): boolean;
}

/** Multipart uploads. */
export interface Uploads {
  /** Starts an upload and returns its id. NoSuchBucket. */
  create(
    bucket: string,
    key: string,
    attributes: ObjectAttributes,
    checksum?: { algorithm: string; type: string },
  ): Promise<string>;
  /** An upload's record. NoSuchUpload when absent or of another key. */
  info(bucket: string, key: string, uploadId: string): Promise<UploadInfo>;
  /** Stores a part, replacing an earlier version of its number. NoSuchUpload. */
  putPart(part: PartInput): Promise<PartInfo>;
  /** An upload's parts, by number. NoSuchUpload. */
  parts(bucket: string, key: string, uploadId: string): Promise<Map<number, PartInfo>>;
  /** Every upload in progress in a bucket (unordered). */
  list(bucket: string): Promise<UploadInfo[]>;
  /**
   * Assembles the chosen parts into the object and commits it; the upload is gone after. A
   * completion retried later (its response was lost) answers the object it made, as S3 does.
   */
  complete(
    target: { bucket: string; key: string; uploadId: string },
    rules: CompletionRules,
  ): Promise<ObjectMeta>;
  /** Discards an upload. NoSuchUpload. */
  abort(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Removes uploads idle for `ttlMs` (as of `now`) and returns how many. */
  sweep(ttlMs: number, now?: number): Promise<number>;
}

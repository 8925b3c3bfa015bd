/**
 * The filesystem store: buckets are directories of the data dir, objects are
 * plain files holding exactly their bytes, everything else lives in the
 * system area (see layout.ts). This class puts the parts together; each
 * concern is a module of its own.
 */
import { ConfigStamps } from "./config_stamps.ts";
import { Logger } from "../log.ts";
import { type EtagHashName, prepareEtagHash } from "../checksum/etag_hash.ts";
import { Background } from "./background.ts";
import * as buckets from "./buckets.ts";
import { putObject, updateAttributes } from "./commit.ts";
import { deleteObject } from "./deletes.ts";
import { Directories } from "./dirs.ts";
import { InstanceArea } from "./instance.ts";
import type { Body, ObjectTarget, Storage } from "./interface.ts";
import { isS3Error, S3Error } from "../errors.ts";
import { NULL_VERSION } from "./version_id.ts";
import { listVersions, type VersionListOptions, type VersionPage } from "./version_list.ts";
import {
  type DeleteResult,
  deleteVersioned,
  noSuchKey,
  openVersion,
  updateVersion,
} from "./version_ops.ts";
import {
  enableObjectLock,
  setVersioning,
  versioningDoc,
  versioningOf,
  type VersioningState,
} from "./versioning.ts";
import { PromotionJournal } from "./journal.ts";
import { Layout } from "./layout.ts";
import { listObjects } from "./listing.ts";
import { SharedLocks } from "./locks.ts";
import { LinkCheck } from "./nofollow.ts";
import { objectReader } from "./reader.ts";
import { type OpenedObject, openObject } from "./reads.ts";
import { type Rename, renameObject } from "./rename.ts";
import type { Store } from "./store.ts";
import { TempArea } from "./temp.ts";
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
  Precondition,
  PutOptions,
} from "./types.ts";
import { FsUploads } from "./uploads.ts";
import { EventQueues } from "./event_queue.ts";
import { usage } from "./usage.ts";
import { WalkCache } from "./walk.ts";
import { PlainEtags } from "./plain_etags.ts";

/** Options of the store. */
export interface FsStorageOptions {
  /** Data directory. */
  dataDir: string;
  /** Write and read metadata sidecars. */
  metadata: boolean;
  /** fsync files and directories before a write is acknowledged. */
  fsync: boolean;
  /** Where background failures are reported (a quiet logger by default in tests). */
  log?: Logger;
  /** The configuration generation the servers of a pool share (ConfigStamps.newBuffer()). */
  configGeneration?: SharedArrayBuffer;
  /** Most bytes an event notification queue holds undelivered (64 MiB by default). */
  eventQueueBytes?: number;
  /** The hash of the ETags written (-etag): MD5 by default. */
  etagHash?: EtagHashName;
}

/** The filesystem implementation of geckos3 storage. */
export class FsStorage implements Storage {
  /** Where everything lives. */
  readonly layout: Layout;
  /** This process's area of the data dir. */
  readonly instance: InstanceArea;
  /** The promotion journal. */
  readonly journal: PromotionJournal;
  /** Multipart uploads. */
  readonly uploads: FsUploads;
  /** Event notification queues. */
  readonly events: EventQueues;
  readonly #store: Store;

  /** Creates the store; call init() before use. */
  constructor(opts: FsStorageOptions) {
    const log = opts.log ?? new Logger();
    const layout = new Layout(opts.dataDir);
    const instance = new InstanceArea(layout.tempRoot);
    const journal = new PromotionJournal(instance, log);
    const locks = new SharedLocks(layout.locksRoot);
    this.#store = {
      layout,
      temp: new TempArea(instance, opts.fsync, opts.etagHash ?? "md5"),
      locks,
      links: undefined as unknown as LinkCheck, // made by init()
      dirs: new Directories(layout, locks, journal),
      background: new Background(log),
      walkCache: new WalkCache(),
      plainEtags: new PlainEtags(),
      versionWalkCache: new WalkCache("versions"),
      configStamps: new ConfigStamps(opts.configGeneration),
      log,
      metadata: opts.metadata,
      fsync: opts.fsync,
    };
    this.layout = layout;
    this.instance = instance;
    this.journal = journal;
    this.uploads = new FsUploads(this.#store);
    this.events = new EventQueues(this.#store, opts.eventQueueBytes ?? 64 * 1024 * 1024);
  }

  /** Absolute data directory. */
  get root(): string {
    return this.layout.root;
  }

  /** Temp files of this process. */
  get temp(): TempArea {
    return this.#store.temp;
  }

  /** Creates the directory layout and repairs what crashed processes left behind. */
  async init(): Promise<void> {
    const { layout, dirs } = this.#store;
    await prepareEtagHash(this.#store.temp.etagHash);
    await Deno.mkdir(layout.metaRoot, { recursive: true });
    this.#store.links = new LinkCheck(layout.root);
    await Deno.mkdir(layout.locksRoot, { recursive: true });
    await this.instance.init((dead) => this.journal.replay(dead, (job) => dirs.recover(job)));
  }

  /** Waits for background cleanup, then stops background work (temp heartbeat). */
  async close(): Promise<void> {
    await this.#store.background.idle();
    await this.events.close();
    this.instance.close();
    this.#store.locks.close();
    this.#store.links.close();
  }

  /** Whether sidecars are in use. */
  get metadataEnabled(): boolean {
    return this.#store.metadata;
  }

  /** Resolves when background cleanup started so far has finished. */
  idle(): Promise<void> {
    return this.#store.background.idle();
  }

  /** Throws unless a file can be created and removed in the data dir (readiness probe). */
  checkWritable(): Promise<void> {
    return buckets.checkWritable(this.#store);
  }

  /** Lists buckets: every directory of the data dir with a valid bucket name. */
  listBuckets(): Promise<BucketInfo[]> {
    return buckets.listBuckets(this.#store);
  }

  /** Throws NoSuchBucket unless the bucket exists. */
  requireBucket(bucket: string): void {
    buckets.requireBucket(this.#store, bucket);
  }

  /** Creates a bucket; BucketAlreadyOwnedByYou when it exists. */
  createBucket(bucket: string): Promise<void> {
    return buckets.createBucket(this.#store, bucket);
  }

  /** Deletes an empty bucket: NoSuchBucket, or BucketNotEmpty when it holds any file. */
  deleteBucket(bucket: string): Promise<void> {
    return buckets.deleteBucket(this.#store, bucket);
  }

  /** Reads a bucket configuration document; null when absent. */
  readBucketConfig(bucket: string, name: string): Promise<ConfigDocument | null> {
    return buckets.readBucketConfig(this.#store, bucket, name);
  }

  /** Atomically replaces a bucket configuration document (null deletes it). */
  writeBucketConfig(bucket: string, name: string, text: string | null): Promise<void> {
    return buckets.writeBucketConfig(this.#store, bucket, name, text);
  }

  /** A state document of background work, or null. */
  readState(name: string): Promise<string | null> {
    return buckets.readState(this.#store, name);
  }

  /** Replaces (or with null removes) a state document of background work. */
  writeState(name: string, text: string | null): Promise<void> {
    return buckets.writeState(this.#store, name, text);
  }

  /** Changes whenever any of the bucket's configuration documents does. */
  configStamp(bucket: string): string {
    return buckets.configStamp(this.#store, bucket);
  }

  /** A bucket's versioning state. */
  versioning(bucket: string): VersioningState {
    buckets.requireBucket(this.#store, bucket);
    return versioningOf(this.#store, bucket);
  }

  /** Enables or suspends a bucket's versioning. */
  setVersioning(bucket: string, state: "Enabled" | "Suspended"): Promise<void> {
    buckets.requireBucket(this.#store, bucket);
    return setVersioning(this.#store, bucket, state);
  }

  /** Whether Object Lock is enabled on a bucket (false for one that does not exist). */
  objectLockEnabled(bucket: string): boolean {
    return versioningDoc(this.#store, bucket).objectLock;
  }

  /** Enables Object Lock on a bucket with versioning Enabled. */
  enableObjectLock(bucket: string): Promise<void> {
    buckets.requireBucket(this.#store, bucket);
    return enableObjectLock(this.#store, bucket);
  }

  /** Opens an object (or one of its versions) for reading. */
  openObject(bucket: string, key: string, versionId?: string): ObjectReader {
    return objectReader(this.#open(bucket, key, versionId));
  }

  /** Metadata of an object (or one of its versions) without keeping it open. */
  headObject(bucket: string, key: string, versionId?: string): ObjectMeta {
    const { file, meta } = this.#open(bucket, key, versionId, { metaOnly: true });
    file?.close();
    return meta;
  }

  #open(
    bucket: string,
    key: string,
    versionId?: string,
    opts: { metaOnly?: boolean } = {},
  ): OpenedObject {
    const store = this.#store;
    if (versionId !== undefined) return openVersion(store, { bucket, key, versionId });
    let opened: OpenedObject;
    try {
      opened = openObject(store, bucket, key, opts);
    } catch (e) {
      if (!isS3Error(e, "NoSuchKey") || versioningOf(store, bucket) === "") throw e;
      throw noSuchKey(store, bucket, key);
    }
    if (opened.meta.versionId !== undefined) return opened;
    if (versioningDoc(store, bucket, { forRead: true }).state === "") return opened;
    return { ...opened, meta: { ...opened.meta, versionId: NULL_VERSION } };
  }

  /** Writes an object atomically and returns its metadata. */
  putObject(bucket: string, key: string, body: Body, opts: PutOptions): Promise<ObjectMeta> {
    return putObject(this.#store, { bucket, key }, body, opts);
  }

  /** Changes the stored attributes of a version under the key's lock. */
  async updateAttributes(
    target: ObjectTarget,
    update: (meta: ObjectMeta) => Partial<ObjectAttributes>,
  ): Promise<ObjectMeta> {
    const { bucket, key, versionId } = target;
    if (versionId !== undefined) {
      return await updateVersion(this.#store, { bucket, key, versionId }, update);
    }
    const meta = await updateAttributes(this.#store, { bucket, key }, update);
    if (meta.versionId !== undefined || versioningOf(this.#store, bucket) === "") return meta;
    return { ...meta, versionId: NULL_VERSION };
  }

  /** Deletes an object or a version of it (see Storage.deleteObject). */
  async deleteObject(target: DeleteTarget, precondition?: Precondition): Promise<DeleteResult> {
    const store = this.#store;
    if (target.versionId === undefined) {
      buckets.requireBucket(store, target.bucket);
      if (versioningOf(store, target.bucket) === "") {
        await deleteObject(store, target, precondition);
        return {};
      }
    }
    return await deleteVersioned(store, { ...target, precondition });
  }

  /** Renames an object within its bucket atomically (not in a versioned bucket). */
  renameObject(rename: Rename): Promise<void> {
    if (versioningOf(this.#store, rename.bucket) !== "") {
      throw new S3Error(
        "InvalidRequest",
        "RenameObject is not supported in a bucket that has versioning enabled or suspended.",
      );
    }
    return renameObject(this.#store, rename);
  }

  /** One page of a bucket's listing. */
  listObjects(bucket: string, opts: ListOptions): Promise<ListPage> {
    return listObjects(this.#store, bucket, opts);
  }

  /** One page of a bucket's versions. */
  listVersions(bucket: string, opts: VersionListOptions): Promise<VersionPage> {
    return listVersions(this.#store, bucket, opts);
  }

  /** Objects and bytes per bucket. */
  usage(): Promise<BucketUsage[]> {
    return usage(this.#store);
  }
}

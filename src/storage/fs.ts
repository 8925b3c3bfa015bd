/**
 * The filesystem store: buckets are directories of the data dir, objects are
 * plain files holding exactly their bytes, metadata lives in sidecars under
 * `<data-dir>/.geckos3/meta`, temp files under `<data-dir>/.geckos3/tmp`.
 * See DESIGN.md ("Storage format") for the invariants kept here.
 */
import { md5Hex } from "../checksum/md5.ts";
import { toHex } from "../checksum/mod.ts";
import { bucketSegment, joinInside, resolve, SEP } from "./paths.ts";
import { S3Error } from "../s3/errors.ts";
import {
  isValidBucketName,
  keyToSegments,
  segmentsToKey,
  SELF_OBJECT,
  validateBucketName,
} from "./keys.ts";
import { SharedLocks } from "./locks.ts";
import { surelyAbsent, surelyMissing } from "./libc.ts";
import { MultipartStore } from "./multipart.ts";
import {
  findEntry,
  isPlain,
  metaFromEntry,
  nextSidecar,
  parseSidecar,
  PLAIN_MAX_BYTES,
  pseudoEtag,
  type Sidecar,
  type SidecarEntry,
} from "./sidecar.ts";
import {
  type BucketInfo,
  identityOf,
  type ObjectAttributes,
  type ObjectMeta,
  sameIdentity,
} from "./types.ts";
import { TempArea, type TempFile } from "./temp.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { Background } from "./background.ts";
import { LinkCheck } from "./nofollow.ts";

/** Name of the system directory inside the data dir (never a bucket: names cannot start with `.`). */
export const SYSTEM_DIR = ".geckos3";

/**
 * Replaced or deleted data files at least this large are moved into the temp
 * area and unlinked after the response: freeing a large file's blocks takes
 * the kernel hundreds of milliseconds per GiB, which no client should wait for.
 */
const FREE_LATER_BYTES = 8 * 1024 * 1024;

/** Options of the store. */
export interface FsStorageOptions {
  /** Data directory. */
  dataDir: string;
  /** Write and read metadata sidecars. */
  metadata: boolean;
  /** fsync files and directories before a write is acknowledged. */
  fsync: boolean;
}

/** An object opened for reading: its file handle and the metadata of exactly those bytes. */
export interface OpenObject {
  /** Open handle on the data file; the caller closes it. */
  file: Deno.FsFile;
  /** Metadata of the version that `file` holds. */
  meta: ObjectMeta;
  /** The whole content, when it was read to compute the ETag (small objects without sidecar). */
  bytes?: Uint8Array<ArrayBuffer>;
}

/** Called under the key's lock with the current object (or null) before a write commits; throws to refuse. */
export type Precondition = (current: ObjectMeta | null) => void;

/** Options of a write. */
export interface PutOptions {
  /** Attributes of the new object. */
  attributes: ObjectAttributes;
  /**
   * Runs after the body is fully on disk and before the commit, with its size
   * and MD5; may throw to abort (nothing is written) or return attributes to add.
   */
  finalize?: (
    written: { size: number; md5: Uint8Array },
  ) => Partial<ObjectAttributes> | void | Promise<Partial<ObjectAttributes> | void>;
  /** Checked under the lock against the current version. */
  precondition?: Precondition;
  /** Compute the body's MD5 even when metadata is off (e.g. to check Content-MD5). */
  needMd5?: boolean;
}

interface Located {
  bucket: string;
  segments: string[];
  lockName: string;
}

/** The filesystem implementation of geckos3 storage. */
export class FsStorage {
  /** Absolute data directory. */
  readonly root: string;
  /** `<root>/.geckos3`. */
  readonly systemRoot: string;
  /** Sidecar tree root. */
  readonly metaRoot: string;
  /** Temp files of this process. */
  readonly temp: TempArea;
  /** Multipart staging. */
  readonly multipart: MultipartStore;
  /** Cleanup that runs after responses (staging removal, freeing replaced large files). */
  readonly background = new Background();
  readonly #locks: SharedLocks;
  readonly #knownDirs = new Set<string>();
  #links!: LinkCheck;
  readonly #opts: FsStorageOptions;

  /** Creates the store; call init() before use. */
  constructor(opts: FsStorageOptions) {
    this.#opts = opts;
    this.root = resolve(opts.dataDir);
    this.systemRoot = this.root + SEP + SYSTEM_DIR;
    this.metaRoot = this.systemRoot + SEP + "meta";
    this.temp = new TempArea(this.systemRoot + SEP + "tmp", opts.fsync);
    this.multipart = new MultipartStore(this);
    this.#locks = new SharedLocks(this.systemRoot + SEP + "locks");
  }

  /** Creates the directory layout and cleans what crashed processes left behind. */
  async init(): Promise<void> {
    await Deno.mkdir(this.metaRoot, { recursive: true });
    this.#links = new LinkCheck(this.root);
    await Deno.mkdir(this.systemRoot + SEP + "locks", { recursive: true });
    await this.temp.init((journal) => this.#recoverPromotion(journal));
  }

  /** Waits for background cleanup, then stops background work (temp heartbeat). */
  async close(): Promise<void> {
    await this.background.idle();
    this.temp.close();
    this.#locks.close();
    this.#links.close();
  }

  /** Whether sidecars are in use. */
  get metadataEnabled(): boolean {
    return this.#opts.metadata;
  }

  // ---------------------------------------------------------------- buckets

  /** Directory of a bucket. */
  bucketDir(bucket: string): string {
    return this.root + SEP + bucketSegment(bucket);
  }

  /** A bucket's directory in the sidecar tree. */
  #metaDir(bucket: string): string {
    return this.metaRoot + SEP + bucketSegment(bucket);
  }

  /** A bucket's directory of configuration files. */
  #configDir(bucket: string): string {
    return this.systemRoot + SEP + "buckets" + SEP + bucketSegment(bucket);
  }

  /** Path of a per-bucket configuration file (CORS rules, ...) under `.geckos3/buckets/<bucket>/`. */
  bucketConfigPath(bucket: string, name: string): string {
    return joinInside(this.#configDir(bucket), [name]);
  }

  /** Reads a bucket configuration file as text; null when absent. */
  async readBucketConfig(bucket: string, name: string): Promise<string | null> {
    try {
      return await Deno.readTextFile(this.bucketConfigPath(bucket, name));
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Atomically replaces a bucket configuration file (null deletes it). */
  async writeBucketConfig(bucket: string, name: string, text: string | null): Promise<void> {
    const path = this.bucketConfigPath(bucket, name);
    if (text === null) {
      await removeQuietly(path);
      return;
    }
    await Deno.mkdir(parentOf(path), { recursive: true });
    const tmp = await this.temp.writeText(text);
    await Deno.rename(tmp, path);
  }

  /** Throws unless a file can be created and removed in the data dir (readiness probe). */
  async checkWritable(): Promise<void> {
    const probe = await this.temp.writeText("ready");
    await Deno.remove(probe);
  }

  /** Lists buckets: every directory of the data dir with a valid bucket name. */
  async listBuckets(): Promise<BucketInfo[]> {
    const out: BucketInfo[] = [];
    for await (const e of Deno.readDir(this.root)) {
      if (!isValidBucketName(e.name)) continue;
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(this.root + SEP + e.name);
      } catch {
        continue;
      }
      if (!info.isDirectory) continue;
      out.push({ name: e.name, created: info.birthtime ?? info.mtime ?? new Date(0) });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Throws NoSuchBucket (or InvalidBucketName) unless the bucket exists. */
  requireBucket(bucket: string): void {
    if (!isValidBucketName(bucket)) throw new S3Error("NoSuchBucket");
    try {
      // Page-cache metadata on every request: cheaper synchronously than through the thread pool.
      const info = Deno.statSync(this.bucketDir(bucket));
      if (info.isDirectory) return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    throw new S3Error("NoSuchBucket");
  }

  /** Creates a bucket; BucketAlreadyOwnedByYou when it exists. */
  async createBucket(bucket: string): Promise<void> {
    validateBucketName(bucket);
    try {
      await Deno.mkdir(this.bucketDir(bucket));
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) throw new S3Error("BucketAlreadyOwnedByYou");
      throw e;
    }
    if (this.#opts.fsync) await this.temp.syncDir(this.root);
  }

  /** Deletes an empty bucket: NoSuchBucket, or BucketNotEmpty when it holds any file. */
  async deleteBucket(bucket: string): Promise<void> {
    this.requireBucket(bucket);
    const dir = this.bucketDir(bucket);
    if (await containsFile(dir)) throw new S3Error("BucketNotEmpty");
    await Deno.remove(dir, { recursive: true });
    await removeQuietly(this.#metaDir(bucket), true);
    await removeQuietly(this.#configDir(bucket), true);
    await this.multipart.removeBucket(bucket);
    this.#forgetDirs(dir);
    this.#forgetDirs(this.#metaDir(bucket));
  }

  // ---------------------------------------------------------------- objects

  #locate(bucket: string, key: string): Located {
    const segments = keyToSegments(key);
    return { bucket, segments, lockName: bucket + "/" + key };
  }

  /** Path of a data file from its segments. */
  dataPath(bucket: string, segments: readonly string[]): string {
    return joinInside(this.bucketDir(bucket), segments);
  }

  /** Path of a sidecar from its data file's segments. */
  metaPath(bucket: string, segments: readonly string[]): string {
    return joinInside(this.#metaDir(bucket), segments);
  }

  /**
   * Opens an object for reading. NoSuchKey / NoSuchBucket when absent.
   * The file is opened first, then its sidecar entry is looked up by the
   * open file's identity. When there is none because a writer or a delete
   * replaced the file meanwhile, the open is retried, so a reader always gets
   * one version's bytes with that version's metadata (or NoSuchKey if the
   * object was deleted), never a mix.
   */
  openObject(bucket: string, key: string): OpenObject {
    const { segments } = this.#locate(bucket, key);
    for (let attempt = 0;; attempt++) {
      const opened = this.#openData(bucket, segments);
      if (!opened) {
        this.requireBucket(bucket);
        throw new S3Error("NoSuchKey");
      }
      try {
        const { meta, matched, bytes } = this.#readMetaChecked(
          bucket,
          opened.segments,
          opened.info,
          opened.file,
        );
        if (
          matched || attempt >= 8 || !this.#replaced(bucket, opened.segments, opened.info)
        ) {
          return { file: opened.file, meta, bytes };
        }
      } catch (e) {
        opened.file.close();
        throw e;
      }
      opened.file.close(); // replaced or deleted under us: look again
    }
  }

  /** True when the data path no longer holds the file described by `info`. */
  #replaced(bucket: string, segments: readonly string[], info: Deno.FileInfo): boolean {
    // Page-cache metadata: a synchronous lstat is cheaper than the thread hop (hand-placed
    // objects, without sidecars, take this path for every key listed).
    const now = lstatSyncOrNull(this.dataPath(bucket, segments));
    return now === null || !sameIdentity(identityOf(now), identityOf(info));
  }

  /** Metadata of an object without keeping it open. */
  headObject(bucket: string, key: string): ObjectMeta {
    const { file, meta } = this.openObject(bucket, key);
    file.close();
    return meta;
  }

  /**
   * Metadata of a data file found by a directory walk (segments relative to
   * the bucket, info from stat): what listings show.
   */
  async metaOf(
    bucket: string,
    segments: readonly string[],
    info: Deno.FileInfo,
  ): Promise<ObjectMeta> {
    for (let attempt = 0;; attempt++) {
      const { meta, matched } = this.#readMetaChecked(bucket, segments, info);
      if (matched || attempt >= 8 || !this.#replaced(bucket, segments, info)) return meta;
      // Rewritten while listing: describe the version now in place (NotFound if deleted).
      info = await Deno.stat(this.dataPath(bucket, segments));
    }
  }

  /**
   * Opens the data file of `segments`, reached without following a link below
   * the bucket (see nofollow.ts): one reached through a link is not an
   * object. Null when there is none.
   */
  #openData(bucket: string, segments: string[]): OpenedData | null {
    for (let attempt = 0; attempt < 8; attempt++) {
      const opened = this.#openPath(bucket, segments);
      if (!opened) return null;
      const found = this.#links.resolve(bucket, opened.segments, opened.info);
      if (found === "same") return opened;
      opened.file.close();
      if (found === "link") return null;
      // Replaced or deleted between opening and the check: open what is there now.
    }
    return null;
  }

  #openPath(bucket: string, segments: string[]): OpenedData | null {
    let path = this.dataPath(bucket, segments);
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

  /** Removes an object's sidecar, if it has one (plain objects do not: no failed remove). */
  async #removeSidecar(bucket: string, segments: readonly string[]): Promise<void> {
    const path = this.metaPath(bucket, segments);
    if (!surelyMissing(path)) await removeQuietly(path);
  }

  #readSidecar(bucket: string, segments: readonly string[]): Sidecar | null {
    const path = this.metaPath(bucket, segments);
    if (surelyMissing(path)) return null; // plain objects have none: no NotFound to catch
    try {
      // A sidecar is a few hundred bytes: read it in one call, without a thread-pool hop.
      return parseSidecar(Deno.readTextFileSync(path));
    } catch (e) {
      if (isNotFound(e) || e instanceof Deno.errors.IsADirectory) return null;
      throw e;
    }
  }

  #readMeta(bucket: string, segments: readonly string[], info: Deno.FileInfo): ObjectMeta {
    return this.#readMetaChecked(bucket, segments, info).meta;
  }

  /**
   * Metadata of a data file, and whether it describes exactly this file: its
   * sidecar had an entry for it, or (small files without one) its bytes were
   * read, from `file` when given, and hashed for the ETag.
   */
  #readMetaChecked(
    bucket: string,
    segments: readonly string[],
    info: Deno.FileInfo,
    file?: Deno.FsFile,
  ): { meta: ObjectMeta; matched: boolean; bytes?: Uint8Array<ArrayBuffer> } {
    const id = identityOf(info);
    if (!this.#opts.metadata) {
      return {
        meta: metaFromEntry(undefined, info, id, "application/octet-stream"),
        matched: true,
      };
    }
    const entry = findEntry(this.#readSidecar(bucket, segments), id);
    if (entry !== undefined) return { meta: metaFromEntry(entry, info, id), matched: true };
    // No entry: the file was written without a sidecar or placed by hand, unless it has been
    // replaced since it was opened and the sidecar read describes its successors. (Read by path,
    // readPlain itself checks that the file there is still this one.)
    const small = info.size <= PLAIN_MAX_BYTES;
    const replaced = (file || !small) && this.#replaced(bucket, segments, info);
    const bytes = small && !replaced
      ? readPlain(file ?? this.dataPath(bucket, segments), info)
      : null;
    if (bytes === null) {
      return { meta: metaFromEntry(undefined, info, id), matched: !small && !replaced };
    }
    const md5 = md5Hex(bytes);
    return { meta: metaFromEntry(undefined, info, id, undefined, md5), matched: true, bytes };
  }

  /**
   * Writes an object: streams the body (or writes the bytes) to a temp file
   * (MD5 computed on the way), then commits it atomically under the key's
   * lock. Returns the new object's metadata.
   */
  async putObject(
    bucket: string,
    key: string,
    body: ReadableStream<Uint8Array> | Uint8Array | null,
    opts: PutOptions,
  ): Promise<ObjectMeta> {
    const loc = this.#locate(bucket, key);
    this.requireBucket(bucket);
    const tmp = await this.temp.write(body, this.#opts.metadata || opts.needMd5 === true);
    try {
      let attributes = opts.attributes;
      if (opts.finalize) {
        const more = await opts.finalize({ size: tmp.size, md5: tmp.md5 });
        if (more) attributes = { ...attributes, ...more };
      }
      return await this.commit(bucket, key, tmp, attributes, opts.precondition, loc);
    } catch (e) {
      await removeQuietly(tmp.path); // not consumed by a commit
      throw e;
    }
  }

  /**
   * Moves a finished temp file into place as `key`, with its sidecar, under
   * the key's lock. The temp file is consumed (renamed) on success.
   */
  async commit(
    bucket: string,
    key: string,
    tmp: TempFile,
    attributes: ObjectAttributes,
    precondition?: Precondition,
    loc: Located = this.#locate(bucket, key),
  ): Promise<ObjectMeta> {
    const etag = attributes.etag ?? `"${toHex(tmp.md5)}"`;
    // Nothing but bytes, and few of them: no sidecar (see PLAIN_MAX_BYTES).
    const sidecar = this.#opts.metadata &&
      !(tmp.size <= PLAIN_MAX_BYTES && tmp.md5.length > 0 && isPlain(attributes));
    this.#refuseLinkedParent(bucket, loc.segments);
    for (let attempt = 0;; attempt++) {
      try {
        // Parent directories first, outside the key's lock: turning an ancestor object into a
        // directory takes that ancestor's lock, and locks are never nested.
        await this.#ensureParent(bucket, loc.segments, this.bucketDir(bucket));
        if (sidecar) {
          await this.#ensureParent(bucket, loc.segments, this.#metaDir(bucket), true);
        }
        return await this.#locks.with(
          loc.lockName,
          () => this.#commitOnce(loc, tmp, { ...attributes, etag }, sidecar, precondition),
        );
      } catch (e) {
        // A delete (here or in another process) pruned a directory, a writer turned the target
        // into a directory, or an ancestor needs promoting: forget cached directories and retry.
        const retry = isNotFound(e) || e instanceof Deno.errors.IsADirectory ||
          e instanceof Deno.errors.NotADirectory || e instanceof RetryCommit;
        if (attempt < 10 && retry) {
          this.#knownDirs.clear();
          continue;
        }
        throw e;
      }
    }
  }

  async #commitOnce(
    loc: Located,
    tmp: TempFile,
    attributes: ObjectAttributes & { etag: string },
    withSidecar: boolean,
    precondition?: Precondition,
  ): Promise<ObjectMeta> {
    const { bucket } = loc;
    let segments = loc.segments;
    // The commit's lstat and renames are synchronous: see TempArea.write() on directory locks.
    let current: Deno.FileInfo | null = lstatSyncOrNull(this.dataPath(bucket, segments), true);
    if (current?.isDirectory) {
      segments = [...segments, SELF_OBJECT];
      current = lstatSyncOrNull(this.dataPath(bucket, segments));
    }
    if (current && !current.isFile) current = null;
    if (precondition) {
      precondition(current ? this.#readMeta(bucket, segments, current) : null);
    }
    const dataPath = this.dataPath(bucket, segments);
    await this.#ensureParent(bucket, segments, this.bucketDir(bucket), false, loc.lockName);
    if (withSidecar) {
      const entry: SidecarEntry = { ...attributes, id: tmp.identity };
      // With no current bytes there is no entry to keep: skip reading a sidecar.
      const sidecar = nextSidecar(
        current ? this.#readSidecar(bucket, segments) : null,
        current ? identityOf(current) : null,
        entry,
      );
      const metaPath = this.metaPath(bucket, segments);
      await this.#ensureParent(bucket, segments, this.#metaDir(bucket), true, loc.lockName);
      const metaTmp = await this.temp.writeText(JSON.stringify(sidecar));
      try {
        Deno.renameSync(metaTmp, metaPath);
      } catch (e) {
        await removeQuietly(metaTmp);
        throw e;
      }
    }
    // A large current version is linked aside so the rename below does not free its blocks.
    const aside = current && current.size >= FREE_LATER_BYTES
      ? await this.#linkAside(dataPath)
      : null;
    try {
      Deno.renameSync(tmp.path, dataPath);
    } finally {
      if (aside) this.#removeLater(aside);
    }
    if (!withSidecar && this.#opts.metadata && current) {
      // The replaced version's sidecar describes nothing now (readers would hash the bytes
      // anyway): removed, so they need not read it first.
      await this.#removeSidecar(bucket, segments);
    }
    if (this.#opts.fsync) {
      await this.temp.syncDir(parentOf(dataPath));
      if (withSidecar) await this.temp.syncDir(parentOf(this.metaPath(bucket, segments)));
    }
    const etag = this.#opts.metadata ? attributes.etag : pseudoEtag(tmp.identity);
    return { ...attributes, etag, size: tmp.size, lastModified: new Date(tmp.identity.mtimeMs) };
  }

  /**
   * Changes the stored attributes of the current version (e.g. its tags)
   * without touching its bytes, under the key's lock. NoSuchKey when absent.
   */
  async updateAttributes(
    bucket: string,
    key: string,
    update: (meta: ObjectMeta) => Partial<ObjectAttributes>,
  ): Promise<ObjectMeta> {
    const loc = this.#locate(bucket, key);
    if (!this.#opts.metadata) {
      throw new S3Error(
        "NotImplemented",
        "Object attributes cannot be changed with -metadata=false.",
      );
    }
    // Nothing is created for a key that is not there (checked again under the lock).
    this.requireBucket(bucket);
    if (lstatSyncOrNull(this.dataPath(bucket, loc.segments), true) === null) {
      throw new S3Error("NoSuchKey");
    }
    await this.#ensureParent(bucket, loc.segments, this.#metaDir(bucket), true);
    return await this.#locks.with(loc.lockName, async () => {
      const opened = this.#openData(bucket, loc.segments);
      if (!opened) {
        this.requireBucket(bucket);
        throw new S3Error("NoSuchKey");
      }
      try {
        const id = identityOf(opened.info);
        const current = this.#readMeta(bucket, opened.segments, opened.info);
        const { size: _s, lastModified: _l, ...attributes } = { ...current, ...update(current) };
        const sidecar: Sidecar = { v: 1, entries: [{ ...attributes, id }] };
        const tmp = await this.temp.writeText(JSON.stringify(sidecar));
        const metaPath = this.metaPath(bucket, opened.segments);
        await this.#ensureParent(
          bucket,
          opened.segments,
          this.#metaDir(bucket),
          true,
          loc.lockName,
        );
        await Deno.rename(tmp, metaPath);
        return { ...attributes, size: current.size, lastModified: current.lastModified };
      } finally {
        opened.file.close();
      }
    });
  }

  /**
   * Refuses a write whose key lies below a link placed in the bucket: nothing
   * is created or replaced through it (checked before any directory is made).
   */
  #refuseLinkedParent(bucket: string, segments: readonly string[]): void {
    if (this.#links.crossesLink(bucket, segments.slice(0, -1))) {
      throw new S3Error(
        "AccessDenied",
        "The key lies below a link placed in the bucket by hand; geckos3 writes through no link.",
      );
    }
  }

  /** Deletes an object (no error when absent) and prunes directories it leaves empty. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const loc = this.#locate(bucket, key);
    this.requireBucket(bucket);
    // Below a link there is no object: nothing to delete, and nothing outside is touched.
    if (this.#links.crossesLink(bucket, loc.segments.slice(0, -1))) return;
    await this.#locks.with(loc.lockName, async () => {
      let segments = loc.segments;
      const info = lstatSyncOrNull(this.dataPath(bucket, segments));
      if (!info) return;
      if (info.isDirectory) segments = [...segments, SELF_OBJECT];
      try {
        await this.#removeData(this.dataPath(bucket, segments), info);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      await this.#removeSidecar(bucket, segments);
      if (this.#opts.fsync) await this.temp.syncDir(parentOf(this.dataPath(bucket, segments)));
      await this.#prune(this.bucketDir(bucket), segments);
      // Plain objects often have no directory in the metadata tree either.
      if (!surelyMissing(parentOf(this.metaPath(bucket, segments)))) {
        await this.#prune(this.#metaDir(bucket), segments);
      }
    });
  }

  /** Removes a data file; a large one is renamed into the temp area and unlinked in the background. */
  async #removeData(path: string, info: Deno.FileInfo): Promise<void> {
    if (!info.isFile || info.size < FREE_LATER_BYTES) {
      await Deno.remove(path);
      return;
    }
    const hold = this.temp.newPath(".old");
    await Deno.rename(path, hold);
    this.#removeLater(hold);
  }

  /** A second link to `path` in the temp area (null when links are not possible here). */
  async #linkAside(path: string): Promise<string | null> {
    const hold = this.temp.newPath(".old");
    try {
      await Deno.link(path, hold);
      return hold;
    } catch {
      return null;
    }
  }

  /** Unlinks a file held in the temp area after the response (a crash leaves it to the temp sweep). */
  #removeLater(path: string): void {
    this.background.run("free replaced file", () => removeQuietly(path));
  }

  /** Removes the now-empty directories above a deleted file, up to (never including) `base`. */
  async #prune(base: string, segments: readonly string[]): Promise<void> {
    for (let n = segments.length - 1; n > 0; n--) {
      const dir = base + SEP + segments.slice(0, n).join(SEP);
      try {
        await Deno.remove(dir);
      } catch {
        return; // not empty, or already gone
      }
      this.#knownDirs.delete(dir);
    }
  }

  // ------------------------------------------------------------- directories

  /** Makes sure the directory holding `segments` exists under `base`, turning files in the way into directories. */
  async #ensureParent(
    bucket: string,
    segments: readonly string[],
    base: string,
    createBase = false,
    heldLock = "",
  ): Promise<void> {
    if (segments.length < 2 && !createBase) return;
    const dir = segments.length < 2 ? base : base + SEP + segments.slice(0, -1).join(SEP);
    if (this.#knownDirs.has(dir)) return;
    for (let attempt = 0;; attempt++) {
      try {
        await Deno.mkdir(dir, { recursive: true });
        this.#knownDirs.add(dir);
        return;
      } catch (e) {
        if (
          attempt > segments.length ||
          !(e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.AlreadyExists)
        ) throw e;
      }
      // Some ancestor is a file: an object whose key is a prefix of this one.
      for (let n = 1; n < segments.length; n++) {
        const path = base + SEP + segments.slice(0, n).join(SEP);
        const info = await lstatOrNull(path);
        if (info === null) break;
        if (info.isDirectory) continue;
        const ancestor = segments.slice(0, n);
        // Holding a key's lock, only that key itself may be promoted here (locks never nest).
        if (heldLock !== "" && segmentsLockName(bucket, ancestor) !== heldLock) {
          throw new RetryCommit();
        }
        await this.#promote(bucket, ancestor, heldLock);
        break;
      }
    }
  }

  #forgetDirs(prefix: string): void {
    for (const d of this.#knownDirs) {
      if (d === prefix || d.startsWith(prefix + SEP)) this.#knownDirs.delete(d);
    }
  }

  /**
   * Turns the object file at `segments` into a directory holding the same
   * bytes as its reserved `%obj` entry (data and sidecar), so keys below it
   * can exist. Journaled in the temp area so a crash midway is repaired at start-up.
   */
  async #promote(bucket: string, segments: string[], heldLock: string): Promise<void> {
    const key = segmentsLockName(bucket, segments);
    const run = async () => {
      const journal = await this.temp.beginPromotion({ bucket, segments });
      await this.#promoteTree(this.dataPath(bucket, segments), journal.dataHold);
      await this.#promoteTree(this.metaPath(bucket, segments), journal.metaHold);
      await journal.done();
    };
    // A writer retrying its own key (its sidecar landed where a directory is now needed)
    // already holds that key's lock: locks are not re-entrant, so run directly.
    if (key === heldLock) await run();
    else await this.#locks.with(key, run);
  }

  /**
   * Moves the file at `path` to `path/%obj` by way of a second link at `hold`.
   * Resumable: run again after a crash at any step, it finishes the move.
   */
  async #promoteTree(path: string, hold: string): Promise<void> {
    let info = await lstatOrNull(path);
    let held = await lstatOrNull(hold);
    if (info?.isFile) {
      // Held bytes of another file: the one in place replaced them after the crash.
      if (held && held.ino !== info.ino) {
        await removeQuietly(hold);
        held = null;
      }
      if (!held) await Deno.link(path, hold);
      await Deno.remove(path);
      info = null;
    } else if (!held) {
      return; // nothing to move: no object here, or already a directory
    }
    if (!info) await Deno.mkdir(path, { recursive: true });
    // A %obj already there was written after the crash: newer than the held bytes.
    if (await lstatOrNull(path + SEP + SELF_OBJECT)) await removeQuietly(hold);
    else await Deno.rename(hold, path + SEP + SELF_OBJECT);
    this.#knownDirs.add(path);
  }

  /**
   * Finishes a promotion a crashed process left, whatever step it stopped at:
   * both the data file and its sidecar end up in the directory, never one of
   * them (readers look for the sidecar where the data is). Under the key's
   * lock, as other processes may be writing meanwhile.
   */
  async #recoverPromotion(
    job: { bucket: string; segments: string[]; dataHold: string; metaHold: string },
  ) {
    await this.#locks.with(segmentsLockName(job.bucket, job.segments), async () => {
      await this.#promoteTree(this.dataPath(job.bucket, job.segments), job.dataHold);
      await this.#promoteTree(this.metaPath(job.bucket, job.segments), job.metaHold);
    });
  }
}

/** A data file opened for reading, with what fstat says of it and its final segments. */
interface OpenedData {
  file: Deno.FsFile;
  info: Deno.FileInfo;
  segments: string[];
}

/** Thrown inside a key's lock when an ancestor must first become a directory (done unlocked, then retried). */
class RetryCommit extends Error {}

function segmentsLockName(bucket: string, segments: readonly string[]): string {
  // Lock names are bucket + "/" + key; a promoted ancestor's key is its decoded segments.
  return bucket + "/" + (segmentsToKey(segments) ?? segments.join("/"));
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
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
 * lstat, or null when nothing is there. With `likelyMissing` (a PUT's new
 * key), absence is asked of libc first: a thrown NotFound costs about 20 µs.
 */
function lstatSyncOrNull(path: string, likelyMissing = false): Deno.FileInfo | null {
  if (likelyMissing && surelyMissing(path)) return null;
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf(SEP));
}

async function containsFile(dir: string): Promise<boolean> {
  for await (const e of Deno.readDir(dir)) {
    if (!e.isDirectory) return true;
    if (await containsFile(dir + SEP + e.name)) return true;
  }
  return false;
}

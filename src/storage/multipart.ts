/**
 * Multipart staging under `<data-dir>/.geckos3/multipart/<bucket>/<uploadId>/`:
 * `upload.json` (key, attributes, start time), and per part a data file
 * `<n>-<random>` plus `<n>.json` naming it. A part's JSON is renamed into
 * place after its data, so it always describes complete bytes.
 *
 * Upload ids are random tokens checked against a strict pattern before any
 * use, so an id can never reach the filesystem as a path. Completion and
 * abort first claim the upload by renaming its directory (atomic, also
 * across processes sharing the data dir): a second completion, a late part
 * or a sweep then finds nothing instead of a half-assembled upload.
 */
import { Buffer } from "node:buffer";
import { S3Error } from "../s3/errors.ts";
import type { FsStorage } from "./fs.ts";
import type { TempFile } from "./temp.ts";
import type { ObjectAttributes } from "./types.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { SEP } from "./paths.ts";

/** Upload ids: 32 base64url characters (24 random bytes). */
const UPLOAD_ID = /^[A-Za-z0-9_-]{32}$/;
/** Highest part number S3 allows. */
export const MAX_PART_NUMBER = 10000;

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
  /** Data file name inside the upload directory. */
  file: string;
  checksums?: Record<string, string>;
}

/** A claimed upload: its directory is no longer reachable under its id. */
export interface ClaimedUpload {
  info: UploadInfo;
  parts: Map<number, PartInfo>;
  dir: string;
  /** Puts the upload back (e.g. after a validation error). */
  release(): Promise<void>;
  /** Removes the staging directory for good. */
  discard(): Promise<void>;
  /** Absolute path of a part's data file. */
  partPath(part: PartInfo): string;
}

/** Multipart staging for one FsStorage. */
export class MultipartStore {
  readonly root: string;
  /** Uploads receiving a part in this process (never swept). */
  readonly #active = new Map<string, number>();

  constructor(private readonly storage: FsStorage) {
    this.root = storage.systemRoot + SEP + "multipart";
  }

  #dir(bucket: string, uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new S3Error("NoSuchUpload");
    return this.root + SEP + bucket + SEP + uploadId;
  }

  /** Starts an upload and returns its id. */
  async create(
    bucket: string,
    key: string,
    attributes: ObjectAttributes,
    checksum?: { algorithm: string; type: string },
  ): Promise<string> {
    await this.storage.requireBucket(bucket);
    const uploadId = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
    const dir = this.#dir(bucket, uploadId);
    await Deno.mkdir(dir, { recursive: true });
    const info: UploadInfo = {
      key,
      uploadId,
      initiated: new Date().toISOString(),
      attributes,
      ...(checksum ? { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type } : {}),
    };
    await this.#writeJson(dir + SEP + "upload.json", info);
    return uploadId;
  }

  /** Reads an upload's record, checking it belongs to `key`; NoSuchUpload otherwise. */
  async info(bucket: string, key: string, uploadId: string): Promise<UploadInfo> {
    const info = await this.#readInfo(this.#dir(bucket, uploadId));
    if (!info || info.key !== key) throw new S3Error("NoSuchUpload");
    return info;
  }

  async #readInfo(dir: string): Promise<UploadInfo | null> {
    try {
      return JSON.parse(await Deno.readTextFile(dir + SEP + "upload.json")) as UploadInfo;
    } catch {
      return null;
    }
  }

  /** Marks an upload as receiving a part while `fn` runs (the sweeper skips it). */
  async receiving<T>(bucket: string, uploadId: string, fn: () => Promise<T>): Promise<T> {
    const dir = this.#dir(bucket, uploadId);
    this.#active.set(dir, (this.#active.get(dir) ?? 0) + 1);
    const now = new Date();
    await Deno.utime(dir, now, now).catch(() => {}); // activity, seen by other processes' sweeps
    try {
      return await fn();
    } finally {
      const n = this.#active.get(dir)! - 1;
      if (n === 0) this.#active.delete(dir);
      else this.#active.set(dir, n);
    }
  }

  /** Stores a finished temp file as part `n`, replacing an earlier one. */
  async putPart(
    bucket: string,
    uploadId: string,
    partNumber: number,
    tmp: TempFile,
    checksums: Record<string, string> | undefined,
  ): Promise<PartInfo> {
    const dir = this.#dir(bucket, uploadId);
    const file = `${partNumber}-${crypto.randomUUID()}`;
    const part: PartInfo = {
      partNumber,
      etag: `"${Buffer.from(tmp.md5).toString("hex")}"`,
      size: tmp.size,
      lastModified: new Date(tmp.identity.mtimeMs).toISOString(),
      file,
      ...(checksums && Object.keys(checksums).length ? { checksums } : {}),
    };
    const previous = await this.#readPart(dir, partNumber);
    try {
      await Deno.rename(tmp.path, dir + SEP + file);
      await this.#writeJson(dir + SEP + `${partNumber}.json`, part, dir);
    } catch (e) {
      await removeQuietly(dir + SEP + file);
      if (isNotFound(e)) throw new S3Error("NoSuchUpload"); // aborted or completed meanwhile
      throw e;
    }
    if (previous && previous.file !== file) await removeQuietly(dir + SEP + previous.file);
    return part;
  }

  async #readPart(dir: string, n: number): Promise<PartInfo | null> {
    try {
      return JSON.parse(await Deno.readTextFile(dir + SEP + `${n}.json`)) as PartInfo;
    } catch {
      return null;
    }
  }

  /** All parts of an upload, by number. */
  async parts(bucket: string, uploadId: string): Promise<Map<number, PartInfo>> {
    return await this.#parts(this.#dir(bucket, uploadId));
  }

  async #parts(dir: string): Promise<Map<number, PartInfo>> {
    const parts = new Map<number, PartInfo>();
    const reads: Promise<void>[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        const m = /^(\d+)\.json$/.exec(e.name);
        if (!m) continue;
        reads.push(
          this.#readPart(dir, Number(m[1])).then((p) => void (p && parts.set(p.partNumber, p))),
        );
      }
    } catch (e) {
      if (isNotFound(e)) throw new S3Error("NoSuchUpload");
      throw e;
    }
    await Promise.all(reads);
    return parts;
  }

  /** Claims an upload for completion: NoSuchUpload if absent, wrong key, or already claimed. */
  async claim(bucket: string, key: string, uploadId: string): Promise<ClaimedUpload> {
    const dir = this.#dir(bucket, uploadId);
    const claimed = `${dir}.claimed-${crypto.randomUUID()}`;
    try {
      await Deno.rename(dir, claimed);
    } catch (e) {
      if (isNotFound(e)) throw new S3Error("NoSuchUpload");
      throw e;
    }
    const release = async () => {
      await Deno.rename(claimed, dir).catch(() => {});
    };
    const info = await this.#readInfo(claimed);
    if (!info || info.key !== key) {
      await release();
      throw new S3Error("NoSuchUpload");
    }
    return {
      info,
      parts: await this.#parts(claimed),
      dir: claimed,
      release,
      discard: () => removeQuietly(claimed, true),
      partPath: (p) => claimed + SEP + p.file,
    };
  }

  /** Aborts an upload: NoSuchUpload when absent. */
  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const claimed = await this.claim(bucket, key, uploadId);
    await claimed.discard();
  }

  /** Every upload in a bucket (unordered). */
  async uploads(bucket: string): Promise<UploadInfo[]> {
    const base = this.root + SEP + bucket;
    const out: UploadInfo[] = [];
    try {
      for await (const e of Deno.readDir(base)) {
        if (!e.isDirectory || !UPLOAD_ID.test(e.name)) continue;
        const info = await this.#readInfo(base + SEP + e.name);
        if (info) out.push(info);
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return out;
  }

  /** Removes every upload of a bucket (when the bucket is deleted). */
  async removeBucket(bucket: string): Promise<void> {
    await removeQuietly(this.root + SEP + bucket, true);
  }

  /**
   * Removes uploads with no activity for `ttlMs` (and claims left by a crash),
   * never one receiving a part in this process. Returns how many were removed.
   */
  async sweep(ttlMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    let buckets: Deno.DirEntry[];
    try {
      buckets = await Array.fromAsync(Deno.readDir(this.root));
    } catch {
      return 0;
    }
    for (const b of buckets) {
      if (!b.isDirectory) continue;
      const base = this.root + SEP + b.name;
      for await (const e of Deno.readDir(base)) {
        const dir = base + SEP + e.name;
        if (this.#active.has(dir)) continue;
        try {
          const info = await Deno.stat(dir);
          let last = info.mtime?.getTime() ?? 0;
          for await (const f of Deno.readDir(dir)) {
            const t = (await Deno.stat(dir + SEP + f.name).catch(() => null))?.mtime?.getTime() ??
              0;
            if (t > last) last = t;
          }
          if (now - last < ttlMs || this.#active.has(dir)) continue;
          await removeQuietly(dir, true);
          removed++;
        } catch {
          // removed meanwhile
        }
      }
    }
    return removed;
  }

  async #writeJson(path: string, value: unknown, mustExist?: string): Promise<void> {
    const tmp = await this.storage.temp.writeText(JSON.stringify(value));
    try {
      if (mustExist) await Deno.stat(mustExist);
      await Deno.rename(tmp, path);
    } catch (e) {
      await removeQuietly(tmp);
      throw e;
    }
  }
}

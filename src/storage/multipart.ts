/**
 * Multipart staging under `<data-dir>/.geckos3/multipart/<bucket>/<uploadId>/`:
 * `upload.json` (key, attributes, start time), and per part a data file
 * `<n>-<random>` plus `<n>.json` naming it. A part's JSON is renamed into
 * place after its data, so it always describes complete bytes.
 *
 * Parts are written in place where they can be: the first part to arrive
 * fixes the upload's part size S (`layout.json`), and the first version of
 * part n whose length is at most S is written at offset (n-1)*S of one sparse
 * file, `assembly.bin`, after claiming that range with an exclusive marker
 * `<n>.range`. Every other version (re-uploads, concurrent duplicates, parts
 * that do not fit or of unknown length) gets a file of its own. When the
 * completed parts are exactly 1..N, all in place, and no range writer can
 * still be running, `assembly.bin` is the object: completion moves it without
 * copying a byte.
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
import { identityOf, type ObjectAttributes } from "./types.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { bucketSegment, joinInside, SEP } from "./paths.ts";
import { bodyReader, writeBody } from "./writer.ts";

/** Upload ids: 32 base64url characters (24 random bytes). */
const UPLOAD_ID = /^[A-Za-z0-9_-]{32}$/;
/** Highest part number S3 allows. */
export const MAX_PART_NUMBER = 10000;
/** Name of a part's own data file: its number, a dash and a UUID (see storePart). */
const PART_FILE = /^\d{1,5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The sparse file holding the parts written in place. */
const ASSEMBLY = "assembly.bin";
/** The part size of the in-place layout, fixed by the first part to arrive. */
const LAYOUT = "layout.json";
/** Parts are written in place only below this offset (sparse files have size limits too). */
const MAX_ASSEMBLY_BYTES = 2 ** 40;
const RANGE_MARKER = /^(\d+)\.range$/;

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
  /** Offset of the part in `assembly.bin`, for a part written in place. */
  offset?: number;
  checksums?: Record<string, string>;
}

/** Where a part's bytes are: a file, from an offset. */
export interface PartSource {
  path: string;
  offset: number;
  size: number;
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
  /** Where a part's bytes are. */
  partSource(part: PartInfo): PartSource;
  /**
   * The assembled object when `parts` were all written in place, in order,
   * and nothing else can still write to it: a temp file to commit as is.
   * Null when the parts must be copied.
   */
  assembled(parts: readonly PartInfo[]): Promise<TempFile | null>;
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
    return this.root + SEP + bucketSegment(bucket) + SEP + uploadId;
  }

  /** Starts an upload and returns its id. */
  async create(
    bucket: string,
    key: string,
    attributes: ObjectAttributes,
    checksum?: { algorithm: string; type: string },
  ): Promise<string> {
    this.storage.requireBucket(bucket);
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
    const part = partRecord(partNumber, tmp, new Date(tmp.identity.mtimeMs), { file }, checksums);
    try {
      await Deno.rename(tmp.path, dir + SEP + file);
      await this.#record(dir, part);
    } catch (e) {
      await removeQuietly(dir + SEP + file);
      if (isNotFound(e)) throw new S3Error("NoSuchUpload"); // aborted or completed meanwhile
      throw e;
    }
    return part;
  }

  /** Makes `part` the current version of its number, then removes the previous version's own file. */
  async #record(dir: string, part: PartInfo): Promise<void> {
    const previous = await this.#readPart(dir, part.partNumber);
    await this.#writeJson(dir + SEP + `${part.partNumber}.json`, part, dir);
    if (previous?.file && previous.file !== part.file) {
      await removeQuietly(dir + SEP + previous.file);
    }
  }

  /**
   * Stores part `n` in place in the upload's assembly file when it fits the
   * layout and its range is free: the body (of the given decoded length) is
   * streamed there and `verify` checks it before the part is recorded.
   * Returns null, having read nothing of the body, when the part must go to
   * a file of its own.
   */
  async putPartInPlace(
    bucket: string,
    uploadId: string,
    n: number,
    body: ReadableStream<Uint8Array> | null,
    length: number | null,
    verify: (written: { size: number; md5: Uint8Array }) => Record<string, string> | undefined,
  ): Promise<PartInfo | null> {
    const dir = this.#dir(bucket, uploadId);
    if (body === null || length === null || length === 0) return null;
    const partSize = await this.#partSize(dir, length);
    const offset = (n - 1) * partSize;
    if (length > partSize || offset + length > MAX_ASSEMBLY_BYTES) return null;
    const marker = dir + SEP + `${n}.range`;
    try {
      await Deno.writeTextFile(marker, "", { createNew: true });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) return null; // taken by another version
      if (isNotFound(e)) throw new S3Error("NoSuchUpload");
      throw e;
    }
    // A recorded in-place version owns this range even if its marker was lost (power loss).
    if ((await this.#readPart(dir, n))?.offset !== undefined) return null;
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(dir + SEP + ASSEMBLY, { write: true, create: true });
      await file.seek(offset, Deno.SeekMode.Start);
      const { size, md5 } = await writeBody(file, [], bodyReader(body), true);
      if (size !== length) throw new S3Error("IncompleteBody");
      if (this.storage.temp.fsync) await file.syncData();
      const written = { size, md5: md5! };
      const part = partRecord(n, written, new Date(), { offset }, verify(written));
      await this.#record(dir, part);
      return part;
    } catch (e) {
      await removeQuietly(marker); // the range holds no recorded part: free again
      if (isNotFound(e)) throw new S3Error("NoSuchUpload"); // aborted or completed meanwhile
      throw e;
    } finally {
      file?.close();
    }
  }

  /** The upload's in-place part size: fixed by the first caller (`proposed`), read by the others. */
  async #partSize(dir: string, proposed: number): Promise<number> {
    const path = dir + SEP + LAYOUT;
    const existing = await readLayout(dir);
    if (existing !== null) return existing;
    // Published by a hard link: the file appears complete, and only once.
    const tmp = await this.storage.temp.writeText(JSON.stringify({ partSize: proposed }));
    try {
      await Deno.link(tmp, path);
      return proposed;
    } catch (e) {
      if (isNotFound(e)) throw new S3Error("NoSuchUpload");
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      return (await readLayout(dir)) ?? proposed;
    } finally {
      await removeQuietly(tmp);
    }
  }

  async #readPart(dir: string, n: number): Promise<PartInfo | null> {
    let part: PartInfo;
    try {
      part = JSON.parse(await Deno.readTextFile(dir + SEP + `${n}.json`)) as PartInfo;
    } catch {
      return null;
    }
    // A record names only a part file of its own upload, as storePart names them: one that
    // says anything else was not written here, and is no part.
    if (part.file !== undefined && !PART_FILE.test(part.file)) return null;
    return part;
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
    const parts = await this.#parts(claimed);
    return {
      info,
      parts,
      dir: claimed,
      release,
      discard: () => removeQuietly(claimed, true),
      partSource: (p) =>
        p.file === undefined
          ? { path: claimed + SEP + ASSEMBLY, offset: p.offset ?? 0, size: p.size }
          : { path: joinInside(claimed, [p.file]), offset: 0, size: p.size },
      assembled: (wanted) => assembledInPlace(claimed, parts, wanted),
    };
  }

  /** Aborts an upload: NoSuchUpload when absent. */
  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const claimed = await this.claim(bucket, key, uploadId);
    await claimed.discard();
  }

  /** Every upload in a bucket (unordered). */
  async uploads(bucket: string): Promise<UploadInfo[]> {
    const base = this.root + SEP + bucketSegment(bucket);
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
    await removeQuietly(this.root + SEP + bucketSegment(bucket), true);
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

/** The record of a part's version: its bytes' size and MD5, and where they are. */
function partRecord(
  partNumber: number,
  written: { size: number; md5: Uint8Array },
  lastModified: Date,
  where: { file: string } | { offset: number },
  checksums: Record<string, string> | undefined,
): PartInfo {
  return {
    partNumber,
    etag: `"${Buffer.from(written.md5).toString("hex")}"`,
    size: written.size,
    lastModified: lastModified.toISOString(),
    ...where,
    ...(checksums && Object.keys(checksums).length ? { checksums } : {}),
  };
}

/** The part size recorded in an upload's layout, or null. */
async function readLayout(dir: string): Promise<number | null> {
  try {
    const { partSize } = JSON.parse(await Deno.readTextFile(dir + SEP + LAYOUT));
    return Number.isSafeInteger(partSize) && partSize > 0 ? partSize : null;
  } catch {
    return null;
  }
}

/**
 * The claimed upload's assembly file as the finished object, when it holds
 * exactly `wanted` (parts 1..N in place, all but the last of the layout's
 * size) and every range marker belongs to a recorded in-place part, so no
 * writer, running or crashed, can touch it again. Null otherwise.
 */
async function assembledInPlace(
  dir: string,
  recorded: ReadonlyMap<number, PartInfo>,
  wanted: readonly PartInfo[],
): Promise<TempFile | null> {
  const partSize = await readLayout(dir);
  if (partSize === null) return null;
  let total = 0;
  for (const [i, p] of wanted.entries()) {
    if (p.partNumber !== i + 1 || p.file !== undefined || p.offset !== i * partSize) return null;
    if (i < wanted.length - 1 ? p.size !== partSize : p.size > partSize) return null;
    total += p.size;
  }
  for await (const e of Deno.readDir(dir)) {
    const m = RANGE_MARKER.exec(e.name);
    if (m && recorded.get(Number(m[1]))?.offset === undefined) return null;
  }
  const path = dir + SEP + ASSEMBLY;
  const now = new Date();
  try {
    await Deno.utime(path, now, now); // the object's Last-Modified is its completion
    const info = await Deno.lstat(path);
    if (!info.isFile || info.size !== total) return null; // e.g. parts past N were written too
    return { path, size: total, md5: new Uint8Array(0), identity: identityOf(info) };
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

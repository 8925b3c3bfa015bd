/**
 * Multipart staging under `<data-dir>/.geckos3/multipart/<bucket>/<uploadId>/`:
 * `upload.json` (key, attributes, start time), and per part a data file
 * `<n>-<random>` plus `<n>.json` naming it. A part's JSON is renamed into
 * place after its data, so it always describes complete bytes.
 *
 * Parts are written in place where they can be (see parts.ts): the first
 * part to arrive fixes the upload's part size S (`layout.json`), and the
 * first version of part n whose length is at most S is written at offset
 * (n-1)*S of one sparse file, `assembly.bin`, after claiming that range with
 * an exclusive marker `<n>.range`. When the completed parts are exactly
 * 1..N, all in place, and no range writer can still be running,
 * `assembly.bin` is the object: completion moves it without copying a byte.
 *
 * Upload ids are random tokens checked against a strict pattern before any
 * use, so an id can never reach the filesystem as a path. Completion and
 * abort first claim the upload by renaming its directory (atomic, also
 * across processes sharing the data dir): a second completion, a late part
 * or a sweep then finds nothing instead of a half-assembled upload.
 */
import { type EtagHashName, etagOfDigest } from "../checksum/etag_hash.ts";
import { S3Error } from "../errors.ts";
import { basename } from "node:path";
import type { Layout } from "./layout.ts";
import { joinInside, SEP } from "./paths.ts";
import { type TempArea, type TempFile, unhashedFile } from "./temp.ts";
import type { ObjectMeta, PartInfo, UploadInfo } from "./types.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";

/** A claimed upload's directory: the upload id, then the claiming process's area and a UUID. */
export const CLAIMED =
  /^([A-Za-z0-9_-]{32})\.claimed-(.+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Upload ids: 32 base64url characters (24 random bytes). */
export const UPLOAD_ID = /^[A-Za-z0-9_-]{32}$/;
/** Name of a part's own data file: its number, a dash and a UUID (see parts.ts). */
const PART_FILE = /^\d{1,5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The sparse file holding the parts written in place. */
export const ASSEMBLY = "assembly.bin";
/** The part size of the in-place layout, fixed by the first part to arrive. */
const LAYOUT = "layout.json";
const RANGE_MARKER = /^(\d+)\.range$/;

/** Where a part's bytes are: a file, from an offset. */
export interface PartSource {
  path: string;
  offset: number;
  size: number;
}

/** What a completed upload made, and from which parts. */
export interface Completion {
  key: string;
  meta: ObjectMeta;
  parts: { partNumber: number; etag: string }[];
}

/** A claimed upload: its directory is no longer reachable under its id. */
export interface ClaimedUpload {
  info: UploadInfo;
  parts: Map<number, PartInfo>;
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

/** The staging directories of one store's uploads. */
export class Staging {
  /** Staging under `layout`; records are written through `temp`. */
  constructor(private readonly layout: Layout, readonly temp: TempArea) {}

  /** An upload's directory; NoSuchUpload for an id that is not one of ours. */
  dir(bucket: string, uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new S3Error("NoSuchUpload");
    return this.layout.uploadsDir(bucket) + SEP + uploadId;
  }

  /** An upload's record, or null. */
  async readInfo(dir: string): Promise<UploadInfo | null> {
    try {
      return JSON.parse(await Deno.readTextFile(dir + SEP + "upload.json")) as UploadInfo;
    } catch {
      return null;
    }
  }

  /** Writes an upload's record into its new directory. */
  async writeInfo(dir: string, info: UploadInfo): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    await this.#writeJson(dir + SEP + "upload.json", info);
  }

  /** A part's current record, or null. */
  async readPart(dir: string, n: number): Promise<PartInfo | null> {
    let part: PartInfo;
    try {
      part = JSON.parse(await Deno.readTextFile(dir + SEP + `${n}.json`)) as PartInfo;
    } catch {
      return null;
    }
    // A record names only a part file of its own upload, as parts.ts names them: one that
    // says anything else was not written here, and is no part.
    if (part.file !== undefined && !PART_FILE.test(part.file)) return null;
    return part;
  }

  /** Every part of the upload in `dir`, by number. NoSuchUpload. */
  async parts(dir: string): Promise<Map<number, PartInfo>> {
    const parts = new Map<number, PartInfo>();
    const reads: Promise<void>[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        const m = /^(\d+)\.json$/.exec(e.name);
        if (!m) continue;
        reads.push(
          this.readPart(dir, Number(m[1])).then((p) => void (p && parts.set(p.partNumber, p))),
        );
      }
    } catch (e) {
      if (isNotFound(e)) throw new S3Error("NoSuchUpload");
      throw e;
    }
    await Promise.all(reads);
    return parts;
  }

  /** Makes `part` the current version of its number, then removes the previous version's own file. */
  async record(dir: string, part: PartInfo): Promise<void> {
    const previous = await this.readPart(dir, part.partNumber);
    await this.#writeJson(dir + SEP + `${part.partNumber}.json`, part, dir);
    if (previous?.file && previous.file !== part.file) {
      await removeQuietly(dir + SEP + previous.file);
    }
  }

  /** The upload's in-place part size: fixed by the first caller (`proposed`), read by the others. */
  async partSize(dir: string, proposed: number): Promise<number> {
    const path = dir + SEP + LAYOUT;
    const existing = await readLayout(dir);
    if (existing !== null) return existing;
    // Published by a hard link: the file appears complete, and only once.
    const tmp = await this.temp.writeText(JSON.stringify({ partSize: proposed }));
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

  /** Claims an upload for completion or abort: NoSuchUpload if absent, of another key, or claimed. */
  async claim(bucket: string, key: string, uploadId: string): Promise<ClaimedUpload> {
    const dir = this.dir(bucket, uploadId);
    // The claim names this process's area: a claim whose process is gone is put back (sweep).
    const claimed = `${dir}.claimed-${basename(this.temp.dir)}-${crypto.randomUUID()}`;
    try {
      await Deno.rename(dir, claimed);
    } catch (e) {
      if (isNotFound(e)) throw new S3Error("NoSuchUpload");
      throw e;
    }
    const release = async () => {
      await Deno.rename(claimed, dir).catch(() => {});
    };
    const info = await this.readInfo(claimed);
    if (!info || info.key !== key) {
      await release();
      throw new S3Error("NoSuchUpload");
    }
    const parts = await this.parts(claimed);
    return {
      info,
      parts,
      release,
      discard: () => removeQuietly(claimed, true),
      partSource: (p) =>
        p.file === undefined
          ? { path: claimed + SEP + ASSEMBLY, offset: p.offset ?? 0, size: p.size }
          : { path: joinInside(claimed, [p.file]), offset: 0, size: p.size },
      assembled: (wanted) => assembledInPlace(claimed, parts, wanted),
    };
  }

  /** Remembers what a completed upload made, for a retried completion. */
  async recordCompletion(bucket: string, uploadId: string, done: Completion): Promise<void> {
    await Deno.mkdir(this.layout.completedDir(bucket), { recursive: true });
    await this.#writeJson(this.#completedPath(bucket, uploadId), done);
  }

  /** What a completed upload made, or null (never completed here, or forgotten by the sweep). */
  async completed(bucket: string, uploadId: string): Promise<Completion | null> {
    try {
      const path = this.#completedPath(bucket, uploadId);
      const done = JSON.parse(await Deno.readTextFile(path)) as Completion;
      return { ...done, meta: { ...done.meta, lastModified: new Date(done.meta.lastModified) } };
    } catch {
      return null;
    }
  }

  #completedPath(bucket: string, uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new S3Error("NoSuchUpload");
    return this.layout.completedDir(bucket) + SEP + uploadId + ".json";
  }

  async #writeJson(path: string, value: unknown, mustExist?: string): Promise<void> {
    const tmp = await this.temp.writeText(JSON.stringify(value));
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
export function partRecord(
  partNumber: number,
  written: { size: number; digest: Uint8Array; hash: EtagHashName },
  lastModified: Date,
  where: { file: string } | { offset: number },
  checksums: Record<string, string> | undefined,
): PartInfo {
  return {
    partNumber,
    etag: etagOfDigest(written.digest, written.hash),
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
    return unhashedFile(path, info);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

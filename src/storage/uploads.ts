/** Multipart uploads of the filesystem store (staging in staging.ts, parts in parts.ts). */
import { Buffer } from "node:buffer";
import { commit } from "./commit.ts";
import { requireBucket } from "./buckets.ts";
import type { CompletionRules, PartInput, Uploads } from "./interface.ts";
import { storePart } from "./parts.ts";
import { SEP } from "./paths.ts";
import { CLAIMED, Staging, UPLOAD_ID } from "./staging.ts";
import { readFile } from "./stream.ts";
import type { Store } from "./store.ts";
import type { TempFile } from "./temp.ts";
import type { ObjectAttributes, ObjectMeta, PartInfo, UploadInfo } from "./types.ts";
import { removeQuietly } from "./fsutil.ts";
import { S3Error } from "../errors.ts";

/** The uploads of one filesystem store. */
export class FsUploads implements Uploads {
  readonly #staging: Staging;
  /** Uploads receiving a part in this process (never swept). */
  readonly #active = new Map<string, number>();

  /** The uploads of `store`. */
  constructor(private readonly store: Store) {
    this.#staging = new Staging(store.layout, store.temp);
  }

  /** Starts an upload and returns its id. */
  async create(
    bucket: string,
    key: string,
    attributes: ObjectAttributes,
    checksum?: { algorithm: string; type: string },
  ): Promise<string> {
    requireBucket(this.store, bucket);
    const uploadId = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
    await this.#staging.writeInfo(this.#staging.dir(bucket, uploadId), {
      key,
      uploadId,
      initiated: new Date().toISOString(),
      attributes,
      ...(checksum ? { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type } : {}),
    });
    return uploadId;
  }

  /** Reads an upload's record, checking it belongs to `key`; NoSuchUpload otherwise. */
  async info(bucket: string, key: string, uploadId: string): Promise<UploadInfo> {
    const info = await this.#staging.readInfo(this.#staging.dir(bucket, uploadId));
    if (!info || info.key !== key) throw new S3Error("NoSuchUpload");
    return info;
  }

  /** Stores a part, marking the upload active meanwhile (the sweeper skips it). */
  async putPart(part: PartInput): Promise<PartInfo> {
    await this.info(part.bucket, part.key, part.uploadId);
    const dir = this.#staging.dir(part.bucket, part.uploadId);
    this.#active.set(dir, (this.#active.get(dir) ?? 0) + 1);
    const now = new Date();
    await Deno.utime(dir, now, now).catch(() => {}); // activity, seen by other processes' sweeps
    try {
      return await storePart(this.#staging, { ...part, dir });
    } finally {
      const n = this.#active.get(dir)! - 1;
      if (n === 0) this.#active.delete(dir);
      else this.#active.set(dir, n);
    }
  }

  /** All parts of an upload, by number. */
  async parts(bucket: string, key: string, uploadId: string): Promise<Map<number, PartInfo>> {
    await this.info(bucket, key, uploadId);
    return await this.#staging.parts(this.#staging.dir(bucket, uploadId));
  }

  /** Every upload in a bucket (unordered). */
  async list(bucket: string): Promise<UploadInfo[]> {
    requireBucket(this.store, bucket);
    const base = this.store.layout.uploadsDir(bucket);
    const out: UploadInfo[] = [];
    try {
      for await (const e of Deno.readDir(base)) {
        if (!e.isDirectory || !UPLOAD_ID.test(e.name)) continue;
        const info = await this.#staging.readInfo(base + SEP + e.name);
        if (info) out.push(info);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return out;
  }

  /**
   * Completes an upload: claims it, lets `rules` choose the parts, assembles
   * them (in place when they already are the object, else copied into a temp
   * file, `observe` seeing every byte), and commits the result like any
   * object. On failure the upload is put back untouched.
   */
  async complete(
    target: { bucket: string; key: string; uploadId: string },
    rules: CompletionRules,
  ): Promise<ObjectMeta> {
    const { bucket, key } = target;
    let claimed;
    try {
      claimed = await this.#staging.claim(bucket, key, target.uploadId);
    } catch (e) {
      const done = await this.#staging.completed(bucket, target.uploadId);
      if (done && done.key === key && rules.isRetryOf(done.parts)) return done.meta;
      throw e;
    }
    let tmp: TempFile | null = null;
    try {
      const { parts, observe } = await rules.choose(claimed.info, claimed.parts);
      const inPlace = await claimed.assembled(parts);
      if (inPlace && observe) await readFile(inPlace.path, observe);
      tmp = inPlace ??
        await this.store.temp.concat(parts.map((p) => claimed.partSource(p)), observe);
      const attributes = rules.attributes(claimed.info, parts);
      const meta = await commit(this.store, { bucket, key }, {
        tmp,
        attributes,
        precondition: rules.precondition,
        committed: rules.committed,
      });
      tmp = null; // consumed
      await this.#staging.recordCompletion(bucket, target.uploadId, {
        key,
        meta,
        parts: parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      });
      // The upload is claimed (no longer reachable by its id): its parts can go after the response.
      this.store.background.run("remove completed upload", () => claimed.discard());
      return meta;
    } catch (e) {
      await claimed.release();
      throw e;
    } finally {
      if (tmp) await removeQuietly(tmp.path);
    }
  }

  /** Aborts an upload: NoSuchUpload when absent. */
  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    requireBucket(this.store, bucket);
    const claimed = await this.#staging.claim(bucket, key, uploadId);
    await claimed.discard();
  }

  /**
   * Removes uploads with no activity for `ttlMs` (and claims left by a crash),
   * never one receiving a part in this process. Returns how many were removed.
   */
  async sweep(ttlMs: number, now = Date.now()): Promise<number> {
    await this.#forgetCompletions(ttlMs, now);
    const root = this.store.layout.uploadsRoot;
    let removed = 0;
    let buckets: Deno.DirEntry[];
    try {
      buckets = await Array.fromAsync(Deno.readDir(root));
    } catch {
      return 0;
    }
    for (const b of buckets) {
      if (!b.isDirectory) continue;
      const base = root + SEP + b.name;
      for await (const e of Deno.readDir(base)) {
        const dir = base + SEP + e.name;
        if (this.#active.has(dir)) continue;
        if (await this.#returnOrphanedClaim(b.name, e.name)) continue;
        try {
          if (now - await lastActivity(dir) < ttlMs || this.#active.has(dir)) continue;
          await removeQuietly(dir, true);
          removed++;
        } catch {
          // removed meanwhile
        }
      }
    }
    return removed;
  }

  /**
   * Puts back an upload claimed by a process that is gone (it crashed during a completion or
   * an abort): its area in the temp root no longer exists, as the start-up sweep of temp areas
   * removes dead ones first. An upload whose completion was recorded is removed instead.
   * True when `name` was such a claim.
   */
  async #returnOrphanedClaim(bucket: string, name: string): Promise<boolean> {
    const m = CLAIMED.exec(name);
    if (!m) return false;
    const { layout } = this.store;
    if (await exists(layout.tempRoot + SEP + m[2])) return false; // its process still runs
    const base = layout.uploadsDir(bucket);
    if (await this.#staging.completed(bucket, m[1])) {
      await removeQuietly(base + SEP + name, true);
      return true;
    }
    if (await exists(base + SEP + m[1])) return true; // put back already
    await Deno.rename(base + SEP + name, base + SEP + m[1]).catch(() => {});
    this.store.log.event("warn", "returned an upload claimed by a process that is gone", {
      bucket,
      upload_id: m[1],
    });
    return true;
  }

  /** Removes completion records older than `ttlMs`: a completion's retry is answered as long. */
  async #forgetCompletions(ttlMs: number, now: number): Promise<void> {
    const root = this.store.layout.completedRoot;
    try {
      for await (const b of Deno.readDir(root)) {
        for await (const e of Deno.readDir(root + SEP + b.name)) {
          const path = root + SEP + b.name + SEP + e.name;
          const info = await Deno.stat(path).catch(() => null);
          if (info && now - (info.mtime?.getTime() ?? 0) >= ttlMs) await removeQuietly(path);
        }
      }
    } catch {
      // no completions yet, or removed meanwhile
    }
  }
}

/** The latest modification time of an upload's directory and of anything in it. */
async function lastActivity(dir: string): Promise<number> {
  let last = (await Deno.stat(dir)).mtime?.getTime() ?? 0;
  for await (const f of Deno.readDir(dir)) {
    const t = (await Deno.stat(dir + SEP + f.name).catch(() => null))?.mtime?.getTime() ?? 0;
    if (t > last) last = t;
  }
  return last;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

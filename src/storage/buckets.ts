/** Buckets (directories of the data dir) and their configuration documents. */
import { S3Error } from "../errors.ts";
import { isValidBucketName, validateBucketName } from "./keys.ts";
import { parentOf } from "./layout.ts";
import { SEP } from "./paths.ts";
import type { Store } from "./store.ts";
import type { BucketInfo, ConfigDocument } from "./types.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";

/** Lists buckets: every directory of the data dir with a valid bucket name. */
export async function listBuckets(store: Store): Promise<BucketInfo[]> {
  const root = store.layout.root;
  const out: BucketInfo[] = [];
  for await (const e of Deno.readDir(root)) {
    if (!isValidBucketName(e.name)) continue;
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(root + SEP + e.name);
    } catch {
      continue;
    }
    if (!info.isDirectory) continue;
    out.push({ name: e.name, created: info.birthtime ?? info.mtime ?? new Date(0) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Throws NoSuchBucket unless the bucket exists. */
export function requireBucket(store: Store, bucket: string): void {
  if (!isValidBucketName(bucket)) throw new S3Error("NoSuchBucket");
  try {
    // Page-cache metadata on every request: cheaper synchronously than through the thread pool.
    const info = Deno.statSync(store.layout.bucketDir(bucket));
    if (info.isDirectory) return;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  throw new S3Error("NoSuchBucket");
}

/** Creates a bucket; BucketAlreadyOwnedByYou when it exists. */
export async function createBucket(store: Store, bucket: string): Promise<void> {
  validateBucketName(bucket);
  try {
    await Deno.mkdir(store.layout.bucketDir(bucket));
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) throw new S3Error("BucketAlreadyOwnedByYou");
    throw e;
  }
  if (store.fsync) await store.temp.syncDir(store.layout.root);
}

/** Deletes an empty bucket and what the system area holds for it: NoSuchBucket, BucketNotEmpty. */
export async function deleteBucket(store: Store, bucket: string): Promise<void> {
  requireBucket(store, bucket);
  const { layout } = store;
  const dir = layout.bucketDir(bucket);
  if (await containsFile(dir)) throw new S3Error("BucketNotEmpty");
  // Noncurrent versions and delete markers count too, as in S3.
  const versions = layout.versionsBucketDir(bucket);
  if (await containsFile(versions).catch(() => false)) {
    throw new S3Error(
      "BucketNotEmpty",
      "The bucket you tried to delete is not empty. You must delete all versions in the bucket.",
    );
  }
  await Deno.remove(dir, { recursive: true });
  await removeQuietly(versions, true);
  await removeQuietly(layout.metaDir(bucket), true);
  await removeQuietly(layout.configDir(bucket), true);
  store.configStamps.changed();
  await removeQuietly(layout.uploadsDir(bucket), true);
  await removeQuietly(layout.completedDir(bucket), true);
  store.dirs.forget(dir);
  store.dirs.forget(layout.metaDir(bucket));
}

/** Reads a bucket configuration document; null when absent. */
export async function readBucketConfig(
  store: Store,
  bucket: string,
  name: string,
): Promise<ConfigDocument | null> {
  const path = store.layout.configPath(bucket, name);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  try {
    // Stamped by the open file, so the stamp always belongs to the text read.
    const info = await file.stat();
    const text = new TextDecoder().decode(await new Response(file.readable).arrayBuffer());
    return { text, stamp: `${info.ino}:${info.size}:${info.mtime?.getTime()}` };
  } catch (e) {
    try {
      file.close();
    } catch {
      // closed by the stream
    }
    throw e;
  }
}

/** Atomically replaces a bucket configuration document (null deletes it). */
export async function writeBucketConfig(
  store: Store,
  bucket: string,
  name: string,
  text: string | null,
): Promise<void> {
  await replaceDocument(store, store.layout.configPath(bucket, name), text);
  store.configStamps.changed();
}

/** A state document of background work, or null when there is none. */
export async function readState(store: Store, name: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(store.layout.statePath(name));
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/** Replaces a state document atomically; null removes it. */
export function writeState(store: Store, name: string, text: string | null): Promise<void> {
  return replaceDocument(store, store.layout.statePath(name), text);
}

/** Replaces the small document at `path` by rename (its directory made as needed); null removes it. */
async function replaceDocument(store: Store, path: string, text: string | null): Promise<void> {
  if (text === null) return await removeQuietly(path);
  await Deno.mkdir(parentOf(path), { recursive: true });
  const tmp = await store.temp.writeText(text);
  await Deno.rename(tmp, path);
}

/** A stamp that changes whenever any configuration document of a bucket is written or removed. */
export function configStamp(store: Store, bucket: string): string {
  return store.configStamps.stamp(bucket, store.layout.configDir(bucket));
}

/** Throws unless a file can be created and removed in the data dir (readiness probe). */
export async function checkWritable(store: Store): Promise<void> {
  const probe = await store.temp.writeText("ready");
  await Deno.remove(probe);
}

async function containsFile(dir: string): Promise<boolean> {
  for await (const e of Deno.readDir(dir)) {
    if (!e.isDirectory) return true;
    if (await containsFile(dir + SEP + e.name)) return true;
  }
  return false;
}

/**
 * A bucket's versioning state, kept as the bucket configuration document
 * `versioning.json` ({"status": "Enabled" | "Suspended"}); no document means
 * versioning was never enabled. Every write reads it, so the parsed state is
 * cached per bucket and re-read whenever the file's identity changes (it is
 * replaced by rename), which also lets another process's change be seen.
 */
import { S3Error } from "../errors.ts";
import { writeBucketConfig } from "./buckets.ts";
import { lstatSyncOrNull } from "./reads.ts";
import type { Store } from "./store.ts";

/** `""` (never enabled), `Enabled` or `Suspended`. */
export type VersioningState = "" | "Enabled" | "Suspended";

/** Name of the configuration document. */
const DOCUMENT = "versioning.json";

const cache = new Map<string, { stamp: string; state: VersioningState }>();

/** A bucket's versioning state. */
export function versioningOf(store: Store, bucket: string): VersioningState {
  const path = store.layout.configPath(bucket, DOCUMENT);
  const info = lstatSyncOrNull(path, true);
  if (info === null) return "";
  const stamp = `${path}:${info.ino}:${info.size}:${info.mtime?.getTime()}`;
  const known = cache.get(path);
  if (known?.stamp === stamp) return known.state;
  let state: VersioningState = "";
  try {
    const status = JSON.parse(Deno.readTextFileSync(path))?.status;
    if (status === "Enabled" || status === "Suspended") state = status;
  } catch {
    return ""; // replaced meanwhile: the next call reads the new one
  }
  cache.set(path, { stamp, state });
  return state;
}

/** Sets a bucket's versioning state (it can be suspended, never turned off again). */
export async function setVersioning(
  store: Store,
  bucket: string,
  state: "Enabled" | "Suspended",
): Promise<void> {
  if (!store.metadata) {
    throw new S3Error(
      "NotImplemented",
      "Versioning keeps each version's id in its metadata: it needs -metadata=true.",
    );
  }
  await writeBucketConfig(store, bucket, DOCUMENT, JSON.stringify({ status: state }));
}

/**
 * A bucket's versioning state, kept as the bucket configuration document
 * `versioning.json`: {"status": "Enabled" | "Suspended", "history": [{"at":
 * ms, "status": ...}, ...], "objectLock": true}; no document means
 * versioning was never enabled. Object Lock lives here too, since it pins
 * the state: once on, versioning can never be suspended (and Object Lock
 * never turned off), which this module enforces where the state is written.
 * Every write reads it, so the parsed document is cached per bucket and
 * re-read whenever the file's identity changes (it is replaced by rename),
 * which also lets another process's change be seen.
 *
 * The history lets a small object that is nothing but bytes be a version
 * without a metadata file (see commit.ts): its version id is derived from
 * its file (derivedVersionId), and whether it is a version at all, or the
 * null version, follows from the state in force at its modification time.
 */
import { S3Error } from "../errors.ts";
import { writeBucketConfig } from "./buckets.ts";
import { isNotFound } from "./fsutil.ts";
import { surelyMissing } from "./libc.ts";
import type { Store } from "./store.ts";
import type { FileIdentity } from "./types.ts";
import { idFromTime, NULL_VERSION, timeOf } from "./version_id.ts";

/** `""` (never enabled), `Enabled` or `Suspended`. */
export type VersioningState = "" | "Enabled" | "Suspended";

/** A change of state, and when (ms since the epoch). */
interface Change {
  at: number;
  status: "Enabled" | "Suspended";
}

/** A bucket's versioning document, parsed. */
export interface Versioning {
  state: VersioningState;
  /** Every change, oldest first (empty for documents written before the history was kept). */
  history: Change[];
  /** Whether Object Lock is enabled (it never is disabled again). */
  objectLock: boolean;
}

/** Name of the configuration document. */
const DOCUMENT = "versioning.json";

const NEVER: Versioning = { state: "", history: [], objectLock: false };
const cache = new Map<string, { stamp: string; doc: Versioning }>();

/** Buckets seen without a document, by path, and when: reads trust that for ABSENT_MS. */
const absentSince = new Map<string, number>();
/**
 * How long a read (GET, HEAD) takes a bucket seen without versioning at its word, saving a stat
 * on every read of an unversioned bucket. Writes always look: versioning enabled by another
 * process shows in this one's reads within this time, in its writes at once.
 */
const ABSENT_MS = 1000;

/**
 * A bucket's versioning document (cached; read again when its file changes).
 * With `forRead`, a bucket seen without one in the last second is taken to
 * have none still.
 */
export function versioningDoc(
  store: Store,
  bucket: string,
  opts: { forRead?: boolean } = {},
): Versioning {
  const path = store.layout.configPath(bucket, DOCUMENT);
  const now = opts.forRead ? Date.now() : 0;
  if (opts.forRead && now - (absentSince.get(path) ?? -Infinity) < ABSENT_MS) return NEVER;
  let info: Deno.FileInfo;
  try {
    // Most buckets have none: asked of libc first, as a thrown NotFound costs more.
    if (surelyMissing(path)) {
      if (opts.forRead) rememberAbsent(path, now);
      return NEVER;
    }
    info = Deno.lstatSync(path);
  } catch (e) {
    if (isNotFound(e)) return NEVER;
    throw e;
  }
  const stamp = `${path}:${info.ino}:${info.size}:${info.mtime?.getTime()}`;
  const known = cache.get(path);
  if (known?.stamp === stamp) return known.doc;
  let doc: Versioning;
  try {
    doc = parse(Deno.readTextFileSync(path));
  } catch {
    return NEVER; // replaced meanwhile: the next call reads the new one
  }
  cache.set(path, { stamp, doc });
  return doc;
}

function parse(text: string): Versioning {
  const raw = JSON.parse(text);
  const state = raw?.status === "Enabled" || raw?.status === "Suspended" ? raw.status : "";
  const history = Array.isArray(raw?.history)
    ? (raw.history as Change[]).filter((c) =>
      typeof c?.at === "number" && (c.status === "Enabled" || c.status === "Suspended")
    )
    : [];
  return { state, history, objectLock: raw?.objectLock === true };
}

function rememberAbsent(path: string, now: number): void {
  if (absentSince.size >= 4096) absentSince.clear();
  absentSince.set(path, now);
}

/** A bucket's versioning state. */
export function versioningOf(store: Store, bucket: string): VersioningState {
  return versioningDoc(store, bucket).state;
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
  await store.locks.with(stateLock(bucket), async () => {
    const { history, objectLock } = versioningDoc(store, bucket);
    if (objectLock && state !== "Enabled") {
      throw new S3Error(
        "InvalidBucketState",
        "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
      );
    }
    // Times only move forward in the history, even if the clock went back.
    const at = Math.max(Date.now(), (history.at(-1)?.at ?? 0) + 1);
    await writeDoc(store, bucket, {
      status: state,
      history: [...history, { at, status: state }],
      ...(objectLock ? { objectLock } : {}),
    });
  });
}

/**
 * The lock under which the state is read and written, across processes too:
 * a name no object's lock has (keys are never empty).
 */
function stateLock(bucket: string): string {
  return bucket + "/";
}

/**
 * Enables Object Lock on a bucket whose versioning is Enabled (for good:
 * there is no call to disable it). InvalidBucketState otherwise, as S3 answers.
 */
export async function enableObjectLock(store: Store, bucket: string): Promise<void> {
  await store.locks.with(stateLock(bucket), async () => {
    const doc = versioningDoc(store, bucket);
    if (doc.objectLock) return;
    if (doc.state !== "Enabled") {
      throw new S3Error(
        "InvalidBucketState",
        "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
      );
    }
    await writeDoc(store, bucket, { status: doc.state, history: doc.history, objectLock: true });
  });
}

async function writeDoc(store: Store, bucket: string, doc: object): Promise<void> {
  await writeBucketConfig(store, bucket, DOCUMENT, JSON.stringify(doc));
  absentSince.delete(store.layout.configPath(bucket, DOCUMENT));
}

/**
 * The version id of a file with no metadata entry in a versioned bucket:
 * undefined before versioning was first enabled (and in a bucket without
 * history); the null version when its modification time falls in a
 * Suspended period; else the id derived from its time and inode.
 */
export function derivedVersionId(doc: Versioning, file: FileIdentity): string | undefined {
  const { history } = doc;
  const { mtimeMs } = file;
  if (history.length === 0 || mtimeMs < history[0].at) return undefined;
  let status = history[0].status;
  for (const change of history) {
    if (change.at > mtimeMs) break;
    status = change.status;
  }
  return status === "Enabled" ? idFromTime(mtimeMs, file.ino) : NULL_VERSION;
}

/**
 * The earliest modification time a new sidecar-less version may have: a
 * millisecond after `newest` (an id), so its derived id is newer, and after
 * the last change of state; null when the bucket has no history to derive from.
 */
export function derivedVersionFloor(
  doc: Versioning,
  newest: string | undefined,
): number | null {
  const last = doc.history.at(-1);
  if (last === undefined) return null;
  return Math.max(last.at + 1, newest === undefined ? 0 : msAfter(newest));
}

/** The first millisecond whose derived ids are newer than id `id`. */
function msAfter(id: string): number {
  return Math.floor(timeOf(id) / 1024) + 1;
}

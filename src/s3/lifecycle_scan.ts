/**
 * The lifecycle scanner: applies each bucket's rules in the background.
 * Current versions past their expiration are deleted (a delete marker in a
 * versioned bucket), noncurrent versions past their days removed (keeping
 * the newest ones a rule asks to keep), delete markers with nothing left
 * under them removed where a rule says so, and stale multipart uploads
 * aborted. Versions that Object Lock protects are left where they are
 * (S3's rule: lifecycle never removes a locked version). It walks a page
 * at a time, pausing between pages, so requests never wait for it, and
 * keeps how far it got (a bucket and the last key done, saved about once a
 * second in the state document `lifecycle.json`): a pass that a restart or
 * a stop cuts short resumes there.
 */
import type { Storage, VersionEntry } from "../storage/mod.ts";
import { S3Error } from "../errors.ts";
import { LIFECYCLE_ORIGIN, type Notifier } from "./events.ts";
import {
  afterDays,
  expiryOf,
  type LifecycleRule,
  lifecycleRules,
  ruleApplies,
} from "./lifecycle.ts";

/** What one pass did, by kind of action. */
export interface LifecycleCounts {
  /** Keys whose rules were applied. */
  scanned: number;
  /** Current versions expired (deleted, or hidden under a delete marker). */
  expired: number;
  /** Noncurrent versions removed. */
  noncurrentRemoved: number;
  /** Delete markers removed. */
  markersRemoved: number;
  /** Multipart uploads aborted. */
  uploadsAborted: number;
  /** Noncurrent versions due for removal but kept by Object Lock. */
  lockedKept: number;
}

/**
 * Keys per page, and the pause between pages: a page is read in one piece
 * (the store's metadata reads are synchronous), so pages stay small and
 * the scanner leaves the event loop to requests most of the time.
 */
const PAGE = 100;
const PAUSE_MS = 2;

/** The state document of a pass under way. */
const CURSOR = "lifecycle.json";
/** How often a pass saves how far it got. */
const SAVE_MS = 1000;

/** How far a pass got: the bucket it is in, and the last key whose rules were applied. */
interface Cursor {
  bucket: string;
  after: string;
}

/**
 * Applies every bucket's lifecycle rules once, with days of `dayMs`, from
 * where a pass cut short stopped; returns what it did. With `signal`, it
 * stops between pages when aborted (and resumes there next time).
 */
export async function applyLifecycle(
  storage: Storage,
  opts: { dayMs: number; now?: () => number; notifier?: Notifier; signal?: AbortSignal },
): Promise<LifecycleCounts> {
  const counts: LifecycleCounts = {
    scanned: 0,
    expired: 0,
    noncurrentRemoved: 0,
    markersRemoved: 0,
    uploadsAborted: 0,
    lockedKept: 0,
  };
  const now = opts.now ?? Date.now;
  const resume = await readCursor(storage);
  const progress = { saved: Date.now(), at: resume };
  const buckets = (await storage.listBuckets()).map((b) => b.name).sort();
  for (const name of buckets) {
    if (resume && name < resume.bucket) continue;
    const rules = (await lifecycleRules(storage, name)).filter((r) => r.enabled);
    if (rules.length === 0) continue;
    const scan: Scan = {
      storage,
      bucket: name,
      rules,
      dayMs: opts.dayMs,
      now,
      counts,
      notifier: opts.notifier,
      after: resume?.bucket === name ? resume.after : "",
      signal: opts.signal,
      progress,
    };
    const done = storage.versioning(name) === ""
      ? await scanObjects(scan)
      : await scanVersions(scan);
    if (!done) {
      await saveCursor(storage, progress.at);
      return counts;
    }
    await abortUploads(scan);
  }
  await storage.writeState(CURSOR, null);
  return counts;
}

async function readCursor(storage: Storage): Promise<Cursor | null> {
  try {
    const raw = JSON.parse((await storage.readState(CURSOR)) ?? "null");
    if (typeof raw?.bucket === "string" && typeof raw?.after === "string") return raw;
  } catch {
    // A torn or hand-edited cursor: the pass starts over, which changes nothing already done.
  }
  return null;
}

function saveCursor(storage: Storage, at: Cursor | null): Promise<void> {
  return storage.writeState(CURSOR, at ? JSON.stringify(at) : null);
}

/** Records that `key` of the scan's bucket is done, saving that at most once a second. */
async function done(s: Scan, key: string): Promise<void> {
  s.progress.at = { bucket: s.bucket, after: key };
  if (Date.now() - s.progress.saved < SAVE_MS) return;
  s.progress.saved = Date.now();
  await saveCursor(s.storage, s.progress.at);
}

interface Scan {
  storage: Storage;
  bucket: string;
  rules: LifecycleRule[];
  dayMs: number;
  now: () => number;
  counts: LifecycleCounts;
  notifier?: Notifier;
  /** Start after this key (a pass resumed). */
  after: string;
  signal?: AbortSignal;
  /** Where the pass is, and when that was last saved. */
  progress: { saved: number; at: Cursor | null };
}

/** A delete the scanner makes, with the LifecycleExpiration event it sends. */
function expire(s: Scan, target: { key: string; versionId?: string }) {
  const origin = { bucket: s.bucket, requestId: "lifecycle", ...LIFECYCLE_ORIGIN };
  return s.storage.deleteObject({
    bucket: s.bucket,
    ...target,
    committed: s.notifier?.removed(origin, target, "LifecycleExpiration"),
  });
}

/** An unversioned bucket: every object past its expiration is deleted. False when stopped. */
async function scanObjects(s: Scan): Promise<boolean> {
  let after = s.after;
  for (;;) {
    const page = await s.storage.listObjects(s.bucket, {
      prefix: "",
      delimiter: "",
      after,
      maxKeys: PAGE,
    });
    for (const { key, meta } of page.objects) {
      const expiry = expiryOf(s.rules, key, meta, s.dayMs);
      if (expiry && expiry.date.getTime() <= s.now()) {
        await expire(s, { key });
        s.counts.expired++;
      }
      s.counts.scanned++;
      await done(s, key);
    }
    if (!page.truncated || page.last === null) return true;
    after = page.last;
    if (!(await nextPage(s))) return !s.signal?.aborted;
  }
}

/**
 * A versioned bucket: one key's versions (newest first) at a time, a key
 * done only once all its versions were seen. False when stopped.
 */
async function scanVersions(s: Scan): Promise<boolean> {
  let marker = { keyMarker: s.after, versionIdMarker: "" };
  let group: VersionEntry[] = [];
  const finish = async () => {
    await applyToKey(s, group);
    s.counts.scanned++;
    await done(s, group[0].key);
    group = [];
  };
  for (;;) {
    const page = await s.storage.listVersions(s.bucket, {
      prefix: "",
      delimiter: "",
      maxKeys: PAGE,
      keyMarker: marker.keyMarker,
      versionIdMarker: marker.versionIdMarker,
    });
    for (const v of page.versions) {
      if (group.length > 0 && group[0].key !== v.key) await finish();
      group.push(v);
    }
    if (!page.truncated || !page.next) break;
    marker = { keyMarker: page.next.keyMarker, versionIdMarker: page.next.versionIdMarker ?? "" };
    if (!(await nextPage(s))) return !s.signal?.aborted;
  }
  if (group.length > 0) await finish();
  return true;
}

/** The rules applied to one key's versions, newest first. */
async function applyToKey(s: Scan, versions: VersionEntry[]): Promise<void> {
  const key = versions[0].key;
  const target = (versionId: string) => ({ key, versionId });
  const [current, ...older] = versions;
  // Noncurrent versions: each became noncurrent when the next newer one was made.
  let kept = 0;
  for (let i = 0; i < older.length; i++) {
    const v = older[i];
    const since = (i === 0 ? current : older[i - 1]).lastModified;
    const rule = s.rules.find((r) => r.noncurrent && ruleApplies(r, key, v.meta));
    if (!rule?.noncurrent) continue;
    if (v.meta && kept < rule.noncurrent.newer) {
      kept++;
      continue;
    }
    if (afterDays(since, rule.noncurrent.days, s.dayMs).getTime() > s.now()) continue;
    try {
      await expire(s, target(v.versionId));
    } catch (e) {
      // Object Lock protects it: the store decides, under the key's lock.
      if (!(e instanceof S3Error && e.code === "AccessDenied")) throw e;
      s.counts.lockedKept++;
      continue;
    }
    if (v.meta) s.counts.noncurrentRemoved++;
    else s.counts.markersRemoved++;
  }
  if (!current.isLatest) return;
  if (!current.meta) {
    // A delete marker on top: removed when no version is left under it and a rule says so.
    const alone = versions.length === 1;
    if (alone && s.rules.some((r) => r.expiredObjectDeleteMarker && ruleApplies(r, key))) {
      await expire(s, target(current.versionId));
      s.counts.markersRemoved++;
    }
    return;
  }
  const expiry = expiryOf(s.rules, key, current.meta, s.dayMs);
  if (expiry && expiry.date.getTime() <= s.now()) {
    await expire(s, { key });
    s.counts.expired++;
  }
}

/** Multipart uploads older than a rule's DaysAfterInitiation are aborted. */
async function abortUploads(s: Scan): Promise<void> {
  const rules = s.rules.filter((r) => r.abortAfterDays !== undefined);
  if (rules.length === 0) return;
  for (const upload of await s.storage.uploads.list(s.bucket)) {
    const rule = rules.find((r) => ruleApplies(r, upload.key));
    if (!rule) continue;
    const due = afterDays(new Date(upload.initiated), rule.abortAfterDays!, s.dayMs);
    if (due.getTime() > s.now()) continue;
    await s.storage.uploads.abort(s.bucket, upload.key, upload.uploadId).catch(() => {});
    s.counts.uploadsAborted++;
  }
}

/**
 * Pauses between pages (requests run meanwhile), then takes the bucket's
 * rules as they are now: false when none is left to apply (the
 * configuration was deleted mid-pass).
 */
async function nextPage(s: Scan): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  if (s.signal?.aborted) return false;
  s.rules = (await lifecycleRules(s.storage, s.bucket)).filter((r) => r.enabled);
  return s.rules.length > 0;
}

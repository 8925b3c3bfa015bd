/**
 * Lifecycle rules: the stored LifecycleConfiguration read into rules, which
 * objects a rule applies to (prefix, tags, size), and when a rule expires
 * an object.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
 */
import type { ObjectMeta, Storage } from "../storage/mod.ts";
import { asArray, parseXml } from "./xml.ts";
import { BucketConfigCache } from "./bucket_cache.ts";

/** The stored configuration document (see bucket_settings.ts). */
export const LIFECYCLE_DOC = "lifecycle.xml";

/** One rule, as the scanner applies it. */
export interface LifecycleRule {
  id: string;
  enabled: boolean;
  /** Keys it applies to start with this. */
  prefix: string;
  /** Tags an object must carry, all of them. */
  tags: Record<string, string>;
  /** Only objects larger than this many bytes. */
  sizeGreaterThan?: number;
  /** Only objects smaller than this many bytes. */
  sizeLessThan?: number;
  /** Expiration of current versions: after `days` days, or from `date`. */
  expiration?: { days?: number; date?: Date };
  /** Remove a delete marker that no version is left under. */
  expiredObjectDeleteMarker: boolean;
  /** Noncurrent versions: removed `days` days after becoming noncurrent, keeping the `newer` newest. */
  noncurrent?: { days: number; newer: number };
  /** Multipart uploads: aborted this many days after they began. */
  abortAfterDays?: number;
}

type Doc = Record<string, unknown>;

const list = (v: unknown) => asArray(v as Doc | Doc[] | undefined);
const num = (v: unknown) => (v === undefined ? undefined : Number(v));

/** The rules of a stored LifecycleConfiguration (checked when it was put). */
export async function parseLifecycle(text: string): Promise<LifecycleRule[]> {
  const doc = await parseXml(text, "LifecycleConfiguration");
  return list(doc.Rule).map((r) => {
    const filter = (typeof r.Filter === "object" && r.Filter !== null ? r.Filter : {}) as Doc;
    const and =
      (typeof filter.And === "object" && filter.And !== null ? filter.And : filter) as Doc;
    const tags: Record<string, string> = {};
    for (const t of list(and.Tag)) tags[String(t.Key)] = String(t.Value ?? "");
    const expiration = r.Expiration as Doc | undefined;
    const noncurrent = r.NoncurrentVersionExpiration as Doc | undefined;
    const abort = r.AbortIncompleteMultipartUpload as Doc | undefined;
    return {
      id: String(r.ID ?? ""),
      enabled: r.Status === "Enabled",
      prefix: String(and.Prefix ?? r.Prefix ?? ""),
      tags,
      sizeGreaterThan: num(and.ObjectSizeGreaterThan),
      sizeLessThan: num(and.ObjectSizeLessThan),
      expiration: expiration && (expiration.Days !== undefined || expiration.Date !== undefined)
        ? {
          days: num(expiration.Days),
          date: expiration.Date !== undefined ? new Date(String(expiration.Date)) : undefined,
        }
        : undefined,
      expiredObjectDeleteMarker: expiration?.ExpiredObjectDeleteMarker === "true",
      noncurrent: noncurrent?.NoncurrentDays !== undefined
        ? {
          days: Number(noncurrent.NoncurrentDays),
          newer: Number(noncurrent.NewerNoncurrentVersions ?? 0),
        }
        : undefined,
      abortAfterDays: num(abort?.DaysAfterInitiation),
    };
  });
}

/** Whether a rule applies to `key` (and, when known, to the object `meta` describes). */
export function ruleApplies(rule: LifecycleRule, key: string, meta?: ObjectMeta): boolean {
  if (!rule.enabled || !key.startsWith(rule.prefix)) return false;
  if (!meta) {
    return Object.keys(rule.tags).length === 0 && rule.sizeGreaterThan === undefined &&
      rule.sizeLessThan === undefined;
  }
  for (const [k, v] of Object.entries(rule.tags)) if (meta.tags?.[k] !== v) return false;
  if (rule.sizeGreaterThan !== undefined && !(meta.size > rule.sizeGreaterThan)) return false;
  if (rule.sizeLessThan !== undefined && !(meta.size < rule.sizeLessThan)) return false;
  return true;
}

/**
 * When `days` days after `from` is, for a day of `dayMs`: with real days, the
 * next midnight UTC after it, as S3 counts; with a shortened day, exactly.
 */
export function afterDays(from: Date, days: number, dayMs: number): Date {
  const at = from.getTime() + days * dayMs;
  if (dayMs !== DAY_MS) return new Date(at);
  return new Date(Math.ceil(at / DAY_MS) * DAY_MS);
}

const DAY_MS = 86_400_000;

/** When the first rule that expires this current version does, and which; null when none does. */
export function expiryOf(
  rules: readonly LifecycleRule[],
  key: string,
  meta: ObjectMeta,
  dayMs: number,
): { date: Date; ruleId: string } | null {
  let best: { date: Date; ruleId: string } | null = null;
  for (const rule of rules) {
    if (!rule.expiration || !ruleApplies(rule, key, meta)) continue;
    const { days, date } = rule.expiration;
    const when = days !== undefined ? afterDays(meta.lastModified, days, dayMs) : date!;
    if (!best || when < best.date) best = { date: when, ruleId: rule.id };
  }
  return best;
}

/** Parsed rules of each bucket, read again when its configuration changes. */
const rulesCache = new BucketConfigCache<LifecycleRule[]>((storage, bucket) =>
  storage.readBucketConfig(bucket, LIFECYCLE_DOC)
    .then((doc) => (doc ? parseLifecycle(doc.text) : []))
    .catch(() => [])
);

/**
 * A bucket's lifecycle rules ([] without a configuration): at once when
 * they are known since the configuration last changed, else a promise.
 */
export function lifecycleRules(
  storage: Storage,
  bucket: string,
): LifecycleRule[] | Promise<LifecycleRule[]> {
  return rulesCache.get(storage, bucket);
}

/**
 * The `x-amz-expiration` header of a current version that a rule will
 * expire (`expiry-date="...", rule-id="..."`), set on `headers`; a promise
 * when the rules must be read first.
 */
export function setExpirationHeader(
  ctx: { storage: Storage; bucket: string; key: string; dayMs: number },
  meta: ObjectMeta,
  headers: Headers,
): void | Promise<void> {
  const set = (rules: LifecycleRule[]) => {
    if (rules.length === 0) return;
    const expiry = expiryOf(rules, ctx.key, meta, ctx.dayMs);
    if (!expiry) return;
    headers.set(
      "x-amz-expiration",
      `expiry-date="${expiry.date.toUTCString()}", rule-id="${expiry.ruleId}"`,
    );
  };
  const rules = lifecycleRules(ctx.storage, ctx.bucket);
  return Array.isArray(rules) ? set(rules) : rules.then(set);
}

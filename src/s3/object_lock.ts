/**
 * Object Lock: a bucket's configuration (enabled, and an optional default
 * retention), a version's retention and legal hold through their
 * sub-resources and the `x-amz-object-lock-*` headers of writes, and the
 * rules for changing a retention. The store keeps the lock with each
 * version and refuses deletes it protects (storage/object_lock.ts).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 */
import { requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { parseXml, readXmlBody, renderXml, type XmlNode, xmlText } from "./xml.ts";
import { requestedVersion } from "./versioning.ts";
import { BucketConfigCache } from "./bucket_cache.ts";
import { LOCKED_MESSAGE, type ObjectAttributes, type Storage } from "../storage/mod.ts";

/** The bucket's default retention rule, as S3 renders it (absent: none). */
export const LOCK_DOC = "object-lock.xml";

type Mode = "GOVERNANCE" | "COMPLIANCE";
type Retention = NonNullable<ObjectAttributes["retention"]>;

/** A default retention rule: a mode and a period in days or years. */
interface DefaultRule {
  mode: Mode;
  days?: number;
  years?: number;
}

const MODES = new Set(["GOVERNANCE", "COMPLIANCE"]);
const DAY_MS = 86_400_000;
/** S3 counts a year of a default retention as 365 days. */
const YEAR_DAYS = 365;
/** The longest default retention S3 takes: 100 years. */
const MAX_DAYS = 100 * YEAR_DAYS;

const MISSING = "Bucket is missing Object Lock Configuration";

/** Each bucket's default retention rule, read again when its configuration changes. */
const defaults = new BucketConfigCache<DefaultRule | null>(async (storage, bucket) => {
  const doc = await storage.readBucketConfig(bucket, LOCK_DOC);
  if (!doc) return null;
  return parseRule(await parseXml(doc.text, "ObjectLockConfiguration"));
});

/** The Object Lock configuration a request body holds: MalformedXML, InvalidRetentionPeriod. */
function parseRule(config: Record<string, unknown>): DefaultRule | null {
  if (xmlText(config.ObjectLockEnabled) !== "Enabled") throw new S3Error("MalformedXML");
  if (config.Rule === undefined) return null;
  const rule = config.Rule as Record<string, unknown> | string;
  const retention = typeof rule === "object"
    ? rule.DefaultRetention as Record<string, unknown> | undefined
    : undefined;
  if (typeof retention !== "object" || retention === null) throw new S3Error("MalformedXML");
  const mode = xmlText(retention.Mode);
  if (!MODES.has(mode)) throw new S3Error("MalformedXML");
  const days = retention.Days === undefined ? undefined : count(retention.Days);
  const years = retention.Years === undefined ? undefined : count(retention.Years);
  if ((days === undefined) === (years === undefined)) throw new S3Error("MalformedXML");
  const total = days ?? years! * YEAR_DAYS;
  if (total <= 0) throw new S3Error("InvalidRetentionPeriod");
  if (total > MAX_DAYS) {
    throw new S3Error("InvalidRetentionPeriod", "Default retention period is too large.");
  }
  return { mode: mode as Mode, ...(days !== undefined ? { days } : { years }) };
}

/** An integer element; MalformedXML for anything else. */
function count(value: unknown): number {
  const s = xmlText(value);
  if (!/^-?\d{1,9}$/.test(s)) throw new S3Error("MalformedXML");
  return Number(s);
}

/** The retention a new version gets from the bucket's default rule now (undefined: none). */
export async function defaultRetention(
  storage: Storage,
  bucket: string,
): Promise<Retention | undefined> {
  if (!storage.objectLockEnabled(bucket)) return undefined;
  const rule = await defaults.get(storage, bucket);
  if (!rule) return undefined;
  const days = rule.days ?? rule.years! * YEAR_DAYS;
  return { mode: rule.mode, until: new Date(Date.now() + days * DAY_MS).toISOString() };
}

/** The lock a write's `x-amz-object-lock-*` headers ask for; null when they ask for none. */
function lockFromHeaders(
  headers: Headers,
): { retention?: Retention; legalHold?: boolean } | null {
  const mode = headers.get("x-amz-object-lock-mode");
  const until = headers.get("x-amz-object-lock-retain-until-date");
  const hold = headers.get("x-amz-object-lock-legal-hold");
  if (mode === null && until === null && hold === null) return null;
  const lock: { retention?: Retention; legalHold?: boolean } = {};
  if ((mode === null) !== (until === null)) {
    throw new S3Error(
      "InvalidArgument",
      "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
    );
  }
  if (mode !== null && until !== null) {
    if (!MODES.has(mode)) throw new S3Error("InvalidArgument", "Unknown wormMode directive.");
    lock.retention = { mode: mode as Mode, until: futureDate(until, "InvalidArgument") };
  }
  if (hold !== null) {
    if (hold !== "ON" && hold !== "OFF") {
      throw new S3Error("InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'");
    }
    lock.legalHold = hold === "ON";
  }
  return lock;
}

/** An ISO 8601 instant in the future, normalised; `malformed` names the error of a bad one. */
function futureDate(value: string, malformed: "InvalidArgument" | "MalformedXML"): string {
  const ms = /^\d{4}-\d\d-\d\d/.test(value.trim()) ? Date.parse(value.trim()) : NaN;
  if (Number.isNaN(ms)) {
    throw malformed === "MalformedXML"
      ? new S3Error("MalformedXML")
      : new S3Error("InvalidArgument", "The retain until date must be provided in ISO 8601 format");
  }
  if (ms <= Date.now()) {
    throw new S3Error("InvalidArgument", "The retain until date must be in the future!");
  }
  return new Date(ms).toISOString();
}

/**
 * `attributes` with the lock a write gets: its headers' retention and legal
 * hold, else (with `defaults`) the bucket's default retention. Lock headers
 * on a bucket without Object Lock are InvalidRequest, as on S3.
 */
export async function withObjectLock(
  storage: Storage,
  write: { bucket: string; attributes: ObjectAttributes; headers: Headers; defaults: boolean },
): Promise<ObjectAttributes> {
  const asked = lockFromHeaders(write.headers);
  const enabled = storage.objectLockEnabled(write.bucket);
  if (asked && !enabled) {
    storage.requireBucket(write.bucket);
    throw new S3Error("InvalidRequest", MISSING);
  }
  if (!enabled) return write.attributes;
  const retention = asked?.retention ??
    (write.defaults ? await defaultRetention(storage, write.bucket) : undefined);
  return {
    ...write.attributes,
    ...(retention ? { retention } : {}),
    ...(asked?.legalHold !== undefined ? { legalHold: asked.legalHold } : {}),
  };
}

/**
 * A PutObject that locks its version must prove its bytes (Content-MD5 or a
 * flexible checksum), as S3 requires.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
export function requireIntegrity(headers: Headers, attributes: ObjectAttributes): void {
  if (!attributes.retention && attributes.legalHold === undefined) return;
  if (headers.has("content-md5") || headers.has("x-amz-sdk-checksum-algorithm")) return;
  if ((headers.get("x-amz-trailer") ?? "").toLowerCase().startsWith("x-amz-checksum-")) return;
  for (const name of headers.keys()) {
    if (name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-algorithm") return;
  }
  throw new S3Error(
    "InvalidRequest",
    "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
  );
}

/** The `x-amz-object-lock-*` headers GET and HEAD answer for a version's lock. */
export function lockHeaders(meta: ObjectAttributes): Record<string, string> {
  const h: Record<string, string> = {};
  if (meta.retention) {
    h["x-amz-object-lock-mode"] = meta.retention.mode;
    h["x-amz-object-lock-retain-until-date"] = meta.retention.until;
  }
  if (meta.legalHold !== undefined) {
    h["x-amz-object-lock-legal-hold"] = meta.legalHold ? "ON" : "OFF";
  }
  return h;
}

/** GET /{bucket}?object-lock */
export function getObjectLockConfiguration(ctx: RequestContext): Promise<Response> | Response {
  ctx.storage.requireBucket(ctx.bucket);
  if (!ctx.storage.objectLockEnabled(ctx.bucket)) {
    throw new S3Error("ObjectLockConfigurationNotFoundError");
  }
  return ctx.storage.readBucketConfig(ctx.bucket, LOCK_DOC).then((doc) =>
    xmlResponse(doc?.text ?? renderConfig(null))
  );
}

function renderConfig(rule: DefaultRule | null): string {
  const body: XmlNode = { ObjectLockEnabled: "Enabled" };
  if (rule) {
    body.Rule = {
      DefaultRetention: {
        Mode: rule.mode,
        ...(rule.days !== undefined ? { Days: rule.days } : { Years: rule.years! }),
      },
    };
  }
  return renderXml("ObjectLockConfiguration", body);
}

/**
 * PUT /{bucket}?object-lock: enables Object Lock on a bucket whose
 * versioning is Enabled (InvalidBucketState otherwise), and sets or removes
 * its default retention.
 */
export async function putObjectLockConfiguration(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const body = await readXmlBody(requestBody(ctx).stream);
  if (ctx.storage.versioning(ctx.bucket) !== "Enabled") {
    throw new S3Error(
      "InvalidBucketState",
      "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
    );
  }
  const rule = parseRule(await parseXml(body, "ObjectLockConfiguration"));
  await ctx.storage.enableObjectLock(ctx.bucket);
  await ctx.storage.writeBucketConfig(ctx.bucket, LOCK_DOC, rule ? renderConfig(rule) : null);
  return emptyResponse(200);
}

/** InvalidRequest unless the request's bucket has Object Lock (after NoSuchKey, as S3 orders them). */
function requireLockBucket(ctx: RequestContext): void {
  if (!ctx.storage.objectLockEnabled(ctx.bucket)) throw new S3Error("InvalidRequest", MISSING);
}

/** GET /{bucket}/{key}?retention */
export function getObjectRetention(ctx: RequestContext): Response {
  const meta = ctx.storage.headObject(ctx.bucket, ctx.key, requestedVersion(ctx));
  requireLockBucket(ctx);
  if (!meta.retention) throw new S3Error("NoSuchObjectLockConfiguration");
  return xmlResponse(renderXml("Retention", {
    Mode: meta.retention.mode,
    RetainUntilDate: meta.retention.until,
  }));
}

/** GET /{bucket}/{key}?legal-hold */
export function getObjectLegalHold(ctx: RequestContext): Response {
  const meta = ctx.storage.headObject(ctx.bucket, ctx.key, requestedVersion(ctx));
  requireLockBucket(ctx);
  if (meta.legalHold === undefined) throw new S3Error("NoSuchObjectLockConfiguration");
  return xmlResponse(renderXml("LegalHold", { Status: meta.legalHold ? "ON" : "OFF" }));
}

/** Whether the request asks to bypass GOVERNANCE retention and its caller may. */
export async function bypassesGovernance(ctx: RequestContext, key = ctx.key): Promise<boolean> {
  const asked = ctx.headers.get("x-amz-bypass-governance-retention")?.trim().toLowerCase();
  return asked === "true" && await ctx.permits("s3:BypassGovernanceRetention", key);
}

/**
 * Throws AccessDenied unless a version's retention may change from `now` to
 * `next` (undefined: removed): while it holds, COMPLIANCE can only be
 * extended, and GOVERNANCE shortened, removed or made COMPLIANCE only with
 * a bypass.
 */
function checkRetentionChange(
  now: Retention | undefined,
  next: Retention | undefined,
  bypass: boolean,
): void {
  if (!now || Date.parse(now.until) <= Date.now()) return;
  const kept = next !== undefined && next.mode === now.mode &&
    Date.parse(next.until) >= Date.parse(now.until);
  if (kept || (now.mode === "GOVERNANCE" && bypass)) return;
  throw new S3Error("AccessDenied", LOCKED_MESSAGE);
}

/** PUT /{bucket}/{key}?retention: sets, extends, shortens or removes a version's retention. */
export async function putObjectRetention(ctx: RequestContext): Promise<Response> {
  const versionId = requestedVersion(ctx);
  const doc = await parseXml(await readXmlBody(requestBody(ctx).stream), "Retention");
  const mode = xmlText(doc.Mode);
  const until = xmlText(doc.RetainUntilDate);
  if ((mode === "") !== (until === "")) throw new S3Error("MalformedXML");
  if (mode !== "" && !MODES.has(mode)) throw new S3Error("MalformedXML");
  const next: Retention | undefined = mode === ""
    ? undefined
    : { mode: mode as Mode, until: futureDate(until, "MalformedXML") };
  ctx.storage.headObject(ctx.bucket, ctx.key, versionId);
  requireLockBucket(ctx);
  const bypass = await bypassesGovernance(ctx);
  await ctx.storage.updateAttributes({ bucket: ctx.bucket, key: ctx.key, versionId }, (meta) => {
    checkRetentionChange(meta.retention, next, bypass);
    return { retention: next };
  });
  return emptyResponse(200);
}

/** PUT /{bucket}/{key}?legal-hold */
export async function putObjectLegalHold(ctx: RequestContext): Promise<Response> {
  const versionId = requestedVersion(ctx);
  const doc = await parseXml(await readXmlBody(requestBody(ctx).stream), "LegalHold");
  const status = xmlText(doc.Status);
  if (status !== "ON" && status !== "OFF") throw new S3Error("MalformedXML");
  ctx.storage.headObject(ctx.bucket, ctx.key, versionId);
  requireLockBucket(ctx);
  await ctx.storage.updateAttributes(
    { bucket: ctx.bucket, key: ctx.key, versionId },
    () => ({ legalHold: status === "ON" }),
  );
  return emptyResponse(200);
}

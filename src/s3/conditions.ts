/**
 * HTTP conditional requests as S3 applies them: If-Match / If-None-Match /
 * If-Modified-Since / If-Unmodified-Since on reads, the copy-source variants
 * on copies, and If-Match / If-None-Match on writes.
 */
import { S3Error } from "../errors.ts";
import type { ObjectMeta } from "../storage/mod.ts";
import { unquoteEtag } from "../checksum/etag.ts";

/** True when an If-Match / If-None-Match header value matches `etag` (`*` matches anything). */
function etagMatches(header: string, etag: string): boolean {
  const bare = unquoteEtag(etag);
  for (let item of header.split(",")) {
    item = item.trim();
    if (item === "*") return true;
    if (item.startsWith("W/")) item = item.slice(2);
    if (unquoteEtag(item) === bare) return true;
  }
  return false;
}

/** Parses an HTTP date header; null when absent or unparseable (S3 then ignores it). */
function parseHttpDate(value: string | null): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

/** Last-Modified at the one-second resolution of HTTP dates. */
function modifiedSeconds(meta: ObjectMeta): number {
  return Math.floor(meta.lastModified.getTime() / 1000) * 1000;
}

/** The four condition values, from plain or copy-source headers. */
interface Conditions {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
}

/**
 * Evaluates conditions against an object with S3's precedence: a passing
 * If-Match overrides a failing If-Unmodified-Since, a failing If-None-Match
 * overrides a passing If-Modified-Since. Returns "ok", "failed" (412) or
 * "not-modified" (304).
 */
export function evaluate(c: Conditions, meta: ObjectMeta): "ok" | "failed" | "not-modified" {
  const lm = modifiedSeconds(meta);
  if (c.ifMatch !== null) {
    if (!etagMatches(c.ifMatch, meta.etag)) return "failed";
  } else {
    const t = parseHttpDate(c.ifUnmodifiedSince);
    if (t !== null && lm > t) return "failed";
  }
  if (c.ifNoneMatch !== null) {
    if (etagMatches(c.ifNoneMatch, meta.etag)) return "not-modified";
  } else {
    const t = parseHttpDate(c.ifModifiedSince);
    if (t !== null && lm <= t) return "not-modified";
  }
  return "ok";
}

/** Applies GET/HEAD conditions: throws PreconditionFailed (412) or NotModified (304). */
export function checkReadConditions(headers: Headers, meta: ObjectMeta): void {
  const result = evaluate({
    ifMatch: headers.get("if-match"),
    ifNoneMatch: headers.get("if-none-match"),
    ifModifiedSince: headers.get("if-modified-since"),
    ifUnmodifiedSince: headers.get("if-unmodified-since"),
  }, meta);
  if (result === "failed") throw new S3Error("PreconditionFailed");
  if (result === "not-modified") {
    throw new S3Error("NotModified", undefined, {
      headers: { etag: meta.etag, "last-modified": meta.lastModified.toUTCString() },
    });
  }
}

/** Applies x-amz-copy-source-if-* conditions: any failure is 412 PreconditionFailed. */
export function checkCopySourceConditions(headers: Headers, meta: ObjectMeta): void {
  const result = evaluate({
    ifMatch: headers.get("x-amz-copy-source-if-match"),
    ifNoneMatch: headers.get("x-amz-copy-source-if-none-match"),
    ifModifiedSince: headers.get("x-amz-copy-source-if-modified-since"),
    ifUnmodifiedSince: headers.get("x-amz-copy-source-if-unmodified-since"),
  }, meta);
  if (result !== "ok") throw new S3Error("PreconditionFailed");
}

/**
 * Conditional writes: `If-None-Match: *` refuses to overwrite (412), and
 * `If-Match: etag` requires the current version (404 NoSuchKey when absent,
 * 412 when different). Returns null when the request has neither.
 */
export function writePrecondition(headers: Headers): ((current: ObjectMeta | null) => void) | null {
  const ifNoneMatch = headers.get("if-none-match");
  const ifMatch = headers.get("if-match");
  if (ifNoneMatch === null && ifMatch === null) return null;
  if (ifNoneMatch !== null && ifNoneMatch.trim() !== "*") {
    throw new S3Error("NotImplemented", "If-None-Match on writes supports only '*'.");
  }
  return (current) => {
    if (ifNoneMatch !== null && current) throw new S3Error("PreconditionFailed");
    if (ifMatch !== null) {
      if (!current) throw new S3Error("NoSuchKey");
      if (!etagMatches(ifMatch, current.etag)) throw new S3Error("PreconditionFailed");
    }
  };
}

/**
 * Conditional deletes: `If-Match`, `x-amz-if-match-last-modified-time` and
 * `x-amz-if-match-size` must all hold for the current object (412
 * PreconditionFailed otherwise, 404 NoSuchKey when there is none). Null when
 * the request has none of them.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 */
export function deletePrecondition(
  headers: Headers,
): ((current: ObjectMeta | null) => void) | null {
  const ifMatch = headers.get("if-match");
  const lastModified = headers.get("x-amz-if-match-last-modified-time");
  const size = headers.get("x-amz-if-match-size");
  if (ifMatch === null && lastModified === null && size === null) return null;
  const wantedTime = lastModified === null ? null : parseHttpDate(lastModified);
  if (lastModified !== null && wantedTime === null) {
    throw new S3Error("InvalidArgument", "Invalid x-amz-if-match-last-modified-time.");
  }
  if (size !== null && !/^\d+$/.test(size.trim())) {
    throw new S3Error("InvalidArgument", "Invalid x-amz-if-match-size.");
  }
  return (current) => {
    if (!current) throw new S3Error("NoSuchKey");
    if (ifMatch !== null && !etagMatches(ifMatch, current.etag)) {
      throw new S3Error("PreconditionFailed");
    }
    if (wantedTime !== null && modifiedSeconds(current) !== Math.floor(wantedTime / 1000) * 1000) {
      throw new S3Error("PreconditionFailed");
    }
    if (size !== null && Number(size.trim()) !== current.size) {
      throw new S3Error("PreconditionFailed");
    }
  };
}

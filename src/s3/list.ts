/** Listing operations: ListObjects (V1) and ListObjectsV2, paged lazily over the ordered walk. */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import type { RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { isoDate, OWNER, xmlResponse } from "./response.ts";
import { renderXml, type XmlNode } from "./xml.ts";
import type { ListPage } from "../storage/mod.ts";

/** Most keys one page returns (and the default). */
const MAX_KEYS = 1000;

/** Parses `max-keys`: default and cap 1000; negative or non-numeric -> InvalidArgument. */
export function parseMaxKeys(value: string | null, name = "max-keys"): number {
  if (value === null || value === "") return MAX_KEYS;
  if (!/^\d+$/.test(value.trim())) {
    throw new S3Error("InvalidArgument", `Provided ${name} not an integer or within integer range`);
  }
  return Math.min(Number(value.trim()), MAX_KEYS);
}

/**
 * A key or prefix as S3 lists it under `encoding-type=url`: percent-encoded, `/` kept, a space
 * as `%20` (never `+`, which a client's decoder could not tell from a literal `+`).
 */
function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, "/");
}

/** The key encoder `encoding-type` asks for: InvalidArgument for an unknown one. */
export function encodingOf(ctx: RequestContext): (s: string) => string {
  const enc = ctx.query.get("encoding-type");
  if (enc === null || enc === "") return (s) => s;
  if (enc.toLowerCase() !== "url") {
    throw new S3Error("InvalidArgument", "Invalid Encoding Method specified in Request");
  }
  return urlEncodeKey;
}

function contents(page: ListPage, enc: (s: string) => string, withOwner: boolean): XmlNode[] {
  return page.objects.map(({ key, meta }) => ({
    Key: enc(key),
    LastModified: isoDate(meta.lastModified),
    ETag: meta.etag,
    Size: meta.size,
    ...(withOwner ? { Owner: { ...OWNER } } : {}),
    StorageClass: "STANDARD",
  }));
}

/** GET /{bucket} */
export async function listObjectsV1(ctx: RequestContext): Promise<Response> {
  const q = ctx.query;
  const enc = encodingOf(ctx);
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const marker = q.get("marker") ?? "";
  const maxKeys = parseMaxKeys(q.get("max-keys"));
  const page = await ctx.storage.listObjects(ctx.bucket, {
    prefix,
    delimiter,
    after: marker,
    maxKeys,
  });
  return xmlResponse(renderXml("ListBucketResult", {
    Name: ctx.bucket,
    Prefix: enc(prefix),
    Marker: enc(marker),
    NextMarker: page.truncated && delimiter !== "" && page.last !== null
      ? enc(page.last)
      : undefined,
    MaxKeys: maxKeys,
    Delimiter: delimiter !== "" ? enc(delimiter) : undefined,
    EncodingType: q.get("encoding-type") ? "url" : undefined,
    IsTruncated: page.truncated,
    Contents: contents(page, enc, true),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
  }));
}

// Continuation tokens are opaque to clients: the last key, signed so a forged or garbled one is
// refused. The signing key derives from the secret key, so tokens survive restarts and work across
// several servers sharing one data dir.
function tokenKey(ctx: RequestContext): Uint8Array {
  return new Uint8Array(
    createHash("sha256").update("geckos3 listing token\0" + ctx.config.secretKey).digest(),
  );
}

/** Makes the continuation token for a page that ended at `last`. */
function makeToken(last: string, secret: Uint8Array): string {
  const body = Buffer.from(last, "utf8").toString("base64url");
  const mac = createHmac("sha256", secret).update(body).digest("base64url").slice(0, 22);
  return `${body}.${mac}`;
}

/** Reads a continuation token back; InvalidArgument when forged or garbled. */
function readToken(token: string, secret: Uint8Array): string {
  const bad = () => new S3Error("InvalidArgument", "The continuation token provided is incorrect");
  const dot = token.lastIndexOf(".");
  if (dot <= 0) throw bad();
  const body = token.slice(0, dot);
  const mac = Buffer.from(token.slice(dot + 1));
  const want = Buffer.from(
    createHmac("sha256", secret).update(body).digest("base64url").slice(0, 22),
  );
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) throw bad();
  return Buffer.from(body, "base64url").toString("utf8");
}

/** GET /{bucket}?list-type=2 */
export async function listObjectsV2(ctx: RequestContext): Promise<Response> {
  const q = ctx.query;
  const enc = encodingOf(ctx);
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const startAfter = q.get("start-after") ?? "";
  const token = q.get("continuation-token");
  // An empty token lists from the start (after start-after) and is echoed, as S3 does.
  let key: Uint8Array | undefined;
  const signingKey = () => key ??= tokenKey(ctx);
  const after = token !== null && token !== "" ? readToken(token, signingKey()) : startAfter;
  const maxKeys = parseMaxKeys(q.get("max-keys"));
  const fetchOwner = q.get("fetch-owner") === "true";
  const page = await ctx.storage.listObjects(ctx.bucket, { prefix, delimiter, after, maxKeys });
  return xmlResponse(renderXml("ListBucketResult", {
    Name: ctx.bucket,
    Prefix: enc(prefix),
    Delimiter: delimiter !== "" ? enc(delimiter) : undefined,
    MaxKeys: maxKeys,
    EncodingType: q.get("encoding-type") ? "url" : undefined,
    KeyCount: page.objects.length + page.prefixes.length,
    ContinuationToken: token ?? undefined,
    NextContinuationToken: page.truncated && page.last !== null
      ? makeToken(page.last, signingKey())
      : undefined,
    StartAfter: startAfter !== "" ? enc(startAfter) : undefined,
    IsTruncated: page.truncated,
    Contents: contents(page, enc, fetchOwner),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
  }));
}

/**
 * Object attributes to and from HTTP headers: what a PUT (or a create of a
 * multipart upload, or a REPLACE copy) stores, and what GET/HEAD return.
 */
import { aclFromHeaders, storedAcl } from "./acl.ts";
import { encryptionHeaders, sseFromHeaders } from "./encryption.ts";
import { Buffer } from "node:buffer";
import { headerText } from "../auth/sigv4.ts";
import type { XmlNode } from "./xml.ts";
import { S3Error } from "../errors.ts";
import {
  DEFAULT_CONTENT_TYPE,
  type ObjectAttributes,
  type ObjectMeta,
  STORED_HEADERS,
} from "../storage/mod.ts";
import { tagsFromHeader } from "./tagging.ts";
import { lockHeaders } from "./object_lock.ts";

/** S3's limit on user metadata: names and values together, in bytes. */
const MAX_USER_METADATA_BYTES = 2048;

const META_PREFIX = "x-amz-meta-";
const STORAGE_CLASSES = new Set([
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "OUTPOSTS",
  "GLACIER_IR",
  "SNOW",
  "EXPRESS_ONEZONE",
]);
const encoder = new TextEncoder();
const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

/**
 * A user metadata value as a response header: as stored when it is plain
 * ASCII, else an RFC 2047 encoded word (`=?UTF-8?B?...?=`), as S3 returns it.
 */
function metaHeaderValue(value: string): string {
  if (PRINTABLE_ASCII.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** Reads the attributes a write stores from its request headers; MetadataTooLarge past 2 KB of user metadata. */
export function attributesFromHeaders(headers: Headers): ObjectAttributes {
  const userMeta: Record<string, string> = {};
  const stored: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of headers) {
    if (name.startsWith(META_PREFIX)) {
      const metaName = name.slice(META_PREFIX.length);
      userMeta[metaName] = headerText(value); // stored as the text the client sent
      metaBytes += encoder.encode(metaName).byteLength + encoder.encode(value).byteLength;
    }
  }
  if (metaBytes > MAX_USER_METADATA_BYTES) throw new S3Error("MetadataTooLarge");
  for (const h of STORED_HEADERS) {
    let v = headers.get(h);
    if (v === null) continue;
    if (h === "content-encoding") {
      // aws-chunked is transfer framing, never part of the stored object.
      v = v.split(",").map((s) => s.trim()).filter((s) => s && s !== "aws-chunked").join(", ");
      if (v === "") continue;
    }
    stored[h] = v;
  }
  const storageClass = headers.get("x-amz-storage-class");
  if (storageClass !== null && !STORAGE_CLASSES.has(storageClass)) {
    throw new S3Error("InvalidStorageClass");
  }
  const attributes: ObjectAttributes = {
    contentType: headers.get("content-type") || DEFAULT_CONTENT_TYPE,
    headers: stored,
    userMeta,
  };
  const tagging = headers.get("x-amz-tagging");
  if (tagging !== null) {
    const tags = tagsFromHeader(tagging);
    if (Object.keys(tags).length > 0) attributes.tags = tags;
  }
  const sse = sseFromHeaders(headers);
  if (sse) attributes.sse = sse;
  const acl = aclFromHeaders(headers);
  if (acl) {
    const stored = storedAcl(acl);
    if (stored) attributes.acl = stored;
  }
  return attributes;
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

/** `x-amz-checksum-<alg>` headers for stored checksums, plus `x-amz-checksum-type` when known. */
export function checksumHeaders(
  checksums: Record<string, string> | undefined,
  type?: string,
): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [alg, v] of Object.entries(checksums ?? {})) h[`x-amz-checksum-${alg}`] = v;
  if (type) h["x-amz-checksum-type"] = type;
  return h;
}

/** `<ChecksumCRC32>`-style XML elements for stored checksums. */
export function checksumElements(checksums: Record<string, string> | undefined): XmlNode {
  const out: XmlNode = {};
  for (const [alg, v] of Object.entries(checksums ?? {})) out["Checksum" + alg.toUpperCase()] = v;
  return out;
}

/**
 * Sets the headers GET/HEAD return for an object on `h`: type, stored
 * headers, user metadata, ETag, Last-Modified, encryption, Object Lock, and
 * checksums when asked for.
 * `response-*` query parameters override the stored values.
 */
export function setObjectHeaders(
  h: Headers,
  meta: ObjectMeta,
  query: URLSearchParams,
  withChecksums: boolean,
): void {
  h.set("content-type", meta.contentType);
  h.set("etag", meta.etag);
  h.set("last-modified", meta.lastModified.toUTCString());
  h.set("accept-ranges", "bytes");
  for (const [k, v] of Object.entries(meta.headers)) h.set(k, v);
  for (const [k, v] of Object.entries(meta.userMeta)) h.set(META_PREFIX + k, metaHeaderValue(v));
  if (meta.parts) h.set("x-amz-mp-parts-count", String(meta.parts));
  for (const [k, v] of Object.entries(encryptionHeaders(meta))) h.set(k, v);
  for (const [k, v] of Object.entries(lockHeaders(meta))) h.set(k, v);
  if (meta.tags && Object.keys(meta.tags).length > 0) {
    h.set("x-amz-tagging-count", String(Object.keys(meta.tags).length));
  }
  if (withChecksums) {
    for (const [k, v] of Object.entries(checksumHeaders(meta.checksums, meta.checksumType))) {
      h.set(k, v);
    }
  }
  if (query.size > 0) {
    for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
      const v = query.get(param);
      if (v !== null) h.set(header, v);
    }
  }
  isolateContent(h);
}

/**
 * Keeps an object from running script on the server's origin, where the
 * console keeps its secret: stored HTML or SVG (Content-Type is not signed in
 * a presigned PUT, so anyone with an upload URL can plant it) opens in an
 * opaque origin with scripts off (CSP `sandbox`), and no browser sniffs a
 * type it was not given. PDFs are left out: Chromium's viewer will not open
 * a sandboxed document, and runs in an origin of its own.
 */
function isolateContent(h: Headers): void {
  h.set("x-content-type-options", "nosniff");
  const type = h.get("content-type") ?? "";
  if (!/^application\/pdf\s*(;|$)/i.test(type)) h.set("content-security-policy", "sandbox");
}

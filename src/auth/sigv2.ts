/**
 * AWS Signature Version 2, header (`Authorization: AWS key:signature`) and
 * query (`AWSAccessKeyId`, `Expires`, `Signature`) forms. boto3 still
 * presigns with it by default, and older s3cmd setups sign with it.
 * The signed resource is the bucket and key: the raw request path, behind
 * the Host header's bucket for a virtual-hosted-style request
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html#ConstructingTheCanonicalizedResourceElement).
 */
import { createHmac } from "node:crypto";
import { S3Error } from "../errors.ts";
import { signaturesEqual } from "./sigv4.ts";
import {
  MAX_EXPIRES,
  MAX_SKEW_MS,
  type SecretLookup,
  type SignedRequest,
  type Verified,
} from "./verify.ts";

/** Sub-resources and overrides that are part of the signed resource. */
const SIGNED_SUBRESOURCES = new Set([
  "accelerate",
  "acl",
  "cors",
  "delete",
  "lifecycle",
  "location",
  "logging",
  "notification",
  "partNumber",
  "policy",
  "requestPayment",
  "restore",
  "tagging",
  "torrent",
  "uploadId",
  "uploads",
  "versionId",
  "versioning",
  "versions",
  "website",
  "attributes",
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
  "response-content-language",
  "response-content-type",
  "response-expires",
]);

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The canonicalized resource: raw path plus the signed sub-resources, sorted. */
function canonicalResource(rawPath: string, rawQuery: string): string {
  const pairs = rawQuery.split("&").filter(Boolean).map((p) => {
    const eq = p.indexOf("=");
    return eq < 0
      ? [decode(p), null] as const
      : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))] as const;
  }).filter(([k]) => SIGNED_SUBRESOURCES.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (pairs.length === 0) return rawPath;
  return rawPath + "?" + pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&");
}

/** The path the signature covers: the bucket a Host header named comes first. */
function resourcePath(req: SignedRequest): string {
  return req.hostBucket === undefined ? req.rawPath : `/${req.hostBucket}${req.rawPath}`;
}

/** The x-amz-* headers, lower-cased, sorted, one `name:value\n` each. */
function canonicalAmzHeaders(headers: Headers): string {
  const names: string[] = [];
  headers.forEach((_v, k) => {
    if (k.startsWith("x-amz-")) names.push(k);
  });
  return names.sort().map((n) => `${n}:${(headers.get(n) ?? "").trim()}\n`).join("");
}

function stringToSign(req: SignedRequest, dateField: string): string {
  const h = req.headers;
  return `${req.method}\n${h.get("content-md5") ?? ""}\n${
    h.get("content-type") ?? ""
  }\n${dateField}\n` +
    canonicalAmzHeaders(h) + canonicalResource(resourcePath(req), req.rawQuery);
}

/** What a SigV2 request claims: who signed it, the signature, and the date or expiry it signed. */
interface Claim {
  accessKey: string;
  secret: string;
  signature: string;
  dateField: string;
}

function check(req: SignedRequest, { accessKey, secret, signature, dateField }: Claim): void {
  const toSign = stringToSign(req, dateField);
  const matches = (text: string) =>
    signaturesEqual(createHmac("sha1", secret).update(text).digest("base64"), signature);
  if (matches(toSign)) return;
  // botocore signs a path-style bucket request (`PUT /bucket`) as `/bucket/`, the resource of the
  // same request made virtual-hosted, and S3 takes either.
  if (req.hostBucket === undefined && /^\/[^/]+$/.test(req.rawPath)) {
    if (matches(stringToSign({ ...req, rawPath: req.rawPath + "/" }, dateField))) return;
  }
  throw new S3Error("SignatureDoesNotMatch", undefined, {
    extra: { AWSAccessKeyId: accessKey, StringToSign: toSign },
  });
}

/** Verifies `Authorization: AWS <key>:<signature>`. */
export function verifyV2Header(
  req: SignedRequest,
  authorization: string,
  secretOf: SecretLookup,
): Verified {
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) {
    throw new S3Error(
      "InvalidArgument",
      "Authorization header is invalid -- one and only one ' ' (space) required",
    );
  }
  const [, accessKey, signature] = m;
  const secret = secretOf(accessKey);
  const amzDate = req.headers.get("x-amz-date");
  const dateText = amzDate ?? req.headers.get("date");
  const when = dateText ? new Date(dateText) : null;
  if (!when || Number.isNaN(when.getTime())) {
    throw new S3Error(
      "AccessDenied",
      "AWS authentication requires a valid Date or x-amz-date header",
    );
  }
  if (Math.abs(when.getTime() - req.now.getTime()) > MAX_SKEW_MS) {
    throw new S3Error("RequestTimeTooSkewed");
  }
  check(req, { accessKey, secret, signature, dateField: amzDate !== null ? "" : dateText! });
  return { accessKey, signer: null };
}

/** Verifies `?AWSAccessKeyId=&Expires=&Signature=`. */
export function verifyV2Query(
  req: SignedRequest,
  query: URLSearchParams,
  secretOf: SecretLookup,
): Verified {
  const accessKey = query.get("AWSAccessKeyId")!;
  const signature = query.get("Signature")!;
  const expires = query.get("Expires") ?? "";
  if (!/^\d+$/.test(expires)) {
    throw new S3Error("AccessDenied", "Query-string authentication requires the Expires parameter");
  }
  const secret = secretOf(accessKey);
  if (req.now.getTime() > Number(expires) * 1000) {
    throw new S3Error("AccessDenied", "Request has expired");
  }
  // A URL valid for ever cannot be revoked but by changing the key: bounded as SigV4's are.
  if (Number(expires) * 1000 - req.now.getTime() > MAX_EXPIRES * 1000 + MAX_SKEW_MS) {
    throw new S3Error(
      "AccessDenied",
      `Expires must be within a week (${MAX_EXPIRES} seconds) of the request's time`,
    );
  }
  check(req, { accessKey, secret, signature, dateField: expires });
  return { accessKey, signer: null };
}

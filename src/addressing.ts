/**
 * Request addressing: path-style (`/bucket/key`) always, and
 * virtual-hosted-style (`bucket.domain/key`) for the configured domains.
 */
import { S3Error } from "./s3/errors.ts";
import { isValidBucketName } from "./storage/keys.ts";

/** Bucket and key a request addresses. */
export interface Address {
  /** Bucket name ("" for the service). */
  bucket: string;
  /** Object key ("" for bucket and service requests). */
  key: string;
  /** True when the Host header named the bucket (virtual-hosted style). */
  hosted: boolean;
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error("InvalidURI");
  }
}

/** The bucket named by a Host header under one of `domains`, or null. */
export function bucketFromHost(host: string | null, domains: readonly string[]): string | null {
  if (!host || domains.length === 0) return null;
  let name = host.toLowerCase();
  // Strip the port (also from bracketed IPv6 literals, which never match a domain anyway).
  const colon = name.lastIndexOf(":");
  if (colon >= 0 && !name.endsWith("]")) name = name.slice(0, colon);
  for (const d of domains) {
    if (name.length > d.length + 1 && name.endsWith("." + d)) return name.slice(0, -(d.length + 1));
  }
  return null;
}

/**
 * The bucket name a request addresses, checked against S3's naming rules:
 * InvalidBucketName otherwise. Every way a request names a bucket (path,
 * virtual host, copy source) passes here before anything touches the disk,
 * so a name holding `/`, `\` or dot segments never reaches the storage layer.
 * See https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function checkedBucket(name: string): string {
  if (name !== "" && !isValidBucketName(name)) throw new S3Error("InvalidBucketName");
  return name;
}

/**
 * Resolves bucket and key from the raw path and the Host header. InvalidURI on
 * bad escapes, InvalidBucketName on a name S3 would refuse.
 */
export function resolveAddress(
  rawPath: string,
  host: string | null,
  domains: readonly string[],
): Address {
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  const hosted = bucketFromHost(host, domains);
  if (hosted !== null) {
    return { bucket: checkedBucket(hosted), key: path === "" ? "" : decode(path), hosted: true };
  }
  const slash = path.indexOf("/");
  const rawBucket = slash < 0 ? path : path.slice(0, slash);
  const rawKey = slash < 0 ? "" : path.slice(slash + 1);
  return {
    bucket: checkedBucket(decode(rawBucket)),
    key: rawKey === "" ? "" : decode(rawKey),
    hosted: false,
  };
}

/**
 * The object `x-amz-copy-source` names (`bucket/key` or `/bucket/key`, URL-encoded,
 * optional `?versionId=`), its bucket checked like a request's own.
 */
export function resolveCopySource(value: string): { bucket: string; key: string } {
  let v = value;
  const q = v.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(v.slice(q + 1));
    const version = params.get("versionId");
    if (version !== null && version !== "null") {
      throw new S3Error(
        "InvalidArgument",
        "Versioning is not supported: versionId must be absent or null.",
      );
    }
    v = v.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(v);
  } catch {
    throw new S3Error("InvalidArgument", "Invalid copy source encoding.");
  }
  if (decoded.startsWith("/")) decoded = decoded.slice(1);
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error(
      "InvalidArgument",
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.",
    );
  }
  return { bucket: checkedBucket(decoded.slice(0, slash)), key: decoded.slice(slash + 1) };
}

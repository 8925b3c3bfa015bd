/**
 * Request addressing: path-style (`/bucket/key`) always, and
 * virtual-hosted-style (`bucket.domain/key`) for the configured domains.
 */
import { S3Error } from "../errors.ts";
import { checkedBucket } from "../s3/names.ts";

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

/**
 * Default CORS for browser clients: every response allows the caller's
 * origin and exposes the headers S3 clients read; OPTIONS preflights are
 * answered with 204.
 */

/** Response headers a browser may read (S3 clients need ETag and the request ids). */
export const EXPOSED_HEADERS = [
  "ETag",
  "x-amz-request-id",
  "x-amz-id-2",
  "x-amz-version-id",
  "x-amz-delete-marker",
  "x-amz-checksum-crc32",
  "x-amz-checksum-crc32c",
  "x-amz-checksum-crc64nvme",
  "x-amz-checksum-sha1",
  "x-amz-checksum-sha256",
  "x-amz-checksum-type",
  "x-amz-mp-parts-count",
  "x-amz-tagging-count",
  "x-amz-bucket-region",
  "Content-Length",
  "Content-Range",
  "Content-Type",
  "Content-Disposition",
  "Content-Encoding",
  "Content-Language",
  "Cache-Control",
  "Expires",
  "Last-Modified",
  "Accept-Ranges",
  "Date",
].join(", ");

const ALLOWED_METHODS = "GET, PUT, POST, DELETE, HEAD";

/** Adds the CORS headers to a response's headers. */
export function withCors(req: Request, headers: Headers): void {
  const origin = req.headers.get("origin");
  headers.set("access-control-allow-origin", origin ?? "*");
  headers.append("vary", "Origin");
  if (!origin) {
    headers.set("access-control-expose-headers", EXPOSED_HEADERS);
    return;
  }
  // A browser can only read user metadata headers that are named explicitly.
  let exposed = EXPOSED_HEADERS;
  for (const name of headers.keys()) if (name.startsWith("x-amz-meta-")) exposed += ", " + name;
  headers.set("access-control-expose-headers", exposed);
  headers.set("access-control-allow-credentials", "true");
}

/** Answers an OPTIONS preflight. */
export function corsPreflight(req: Request): Response {
  const headers = new Headers({
    "access-control-allow-methods": ALLOWED_METHODS,
    "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "*",
    "access-control-max-age": "86400",
  });
  return new Response(null, { status: 204, headers });
}

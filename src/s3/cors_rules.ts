/** Bucket CORS rules: their stored form, and matching a request against them (S3 semantics). */

/** One CORS rule of a bucket configuration. */
export interface CorsRule {
  /** Rule id (optional). */
  id?: string;
  /** Allowed origins; each may hold one `*` wildcard. */
  allowedOrigins: string[];
  /** Allowed methods (GET, PUT, POST, DELETE, HEAD). */
  allowedMethods: string[];
  /** Allowed request headers; each may hold one `*` wildcard. */
  allowedHeaders: string[];
  /** Response headers exposed to the browser. */
  exposeHeaders: string[];
  /** Preflight cache time in seconds. */
  maxAgeSeconds?: number;
}

/** Name of the bucket configuration file holding CORS rules. */
export const CORS_CONFIG = "cors.json";

function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  const star = p.indexOf("*");
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/** The first rule allowing `origin`, `method` and every header in `requestHeaders`. */
export function matchRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules.find((r) =>
    r.allowedOrigins.some((o) => wildcardMatch(o, origin, false)) &&
    r.allowedMethods.includes(method) &&
    requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcardMatch(a, h, true)))
  );
}

/**
 * CORS for browser clients. A bucket with a CORS configuration is served
 * exactly by its rules, as S3 does; any other request gets the global
 * default (every origin allowed, the headers S3 clients read exposed)
 * unless `-cors=false` or `-auth=false`: without authentication, only the
 * server's own pages and origins a bucket's rules name may use it.
 */
import type { Storage } from "../storage/mod.ts";
import { S3Error } from "../errors.ts";
import { errorResponse } from "../s3/response.ts";
import { CORS_CONFIG, type CorsRule, matchRule } from "../s3/cors_rules.ts";

/** Response headers a browser may read (S3 clients need ETag and the request ids). */
const EXPOSED_HEADERS = [
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

const DEFAULT_METHODS = "GET, PUT, POST, DELETE, HEAD";

/** CORS decisions for one server: bucket rules (cached, refreshed when changed) or the default. */
export class CorsPolicy {
  #cache = new Map<string, { stamp: string; rules: CorsRule[] | null }>();

  /** Creates the policy; `allowAll` is the default for buckets without rules. */
  constructor(private storage: Storage, private allowAll: boolean) {}

  /** The bucket's rules, or null when it has no CORS configuration. */
  async rules(bucket: string): Promise<CorsRule[] | null> {
    if (bucket === "") return null;
    let doc;
    try {
      doc = await this.storage.readBucketConfig(bucket, CORS_CONFIG);
    } catch {
      doc = null; // no such bucket, or unreadable: no rules
    }
    if (doc === null) {
      this.#cache.delete(bucket);
      return null;
    }
    const cached = this.#cache.get(bucket);
    if (cached && cached.stamp === doc.stamp) return cached.rules;
    let rules: CorsRule[] | null = null;
    try {
      rules = JSON.parse(doc.text) as CorsRule[];
    } catch {
      rules = null;
    }
    this.#cache.set(bucket, { stamp: doc.stamp, rules });
    return rules;
  }

  /** Adds CORS headers to a response of a request that may carry an Origin. */
  async decorate(req: Request, bucket: string, headers: Headers): Promise<void> {
    const origin = req.headers.get("origin");
    if (origin === null) {
      if (this.allowAll) {
        headers.set("access-control-allow-origin", "*");
        headers.set("access-control-expose-headers", EXPOSED_HEADERS);
      }
      return;
    }
    const rules = await this.rules(bucket);
    headers.append("vary", "Origin");
    if (rules) {
      const rule = matchRule(rules, origin, req.method);
      if (!rule) return;
      const wildcard = rule.allowedOrigins.includes("*");
      headers.set("access-control-allow-origin", wildcard ? "*" : origin);
      headers.set("access-control-allow-methods", rule.allowedMethods.join(", "));
      if (!wildcard) headers.set("access-control-allow-credentials", "true");
      if (rule.exposeHeaders.length > 0) {
        headers.set("access-control-expose-headers", rule.exposeHeaders.join(", "));
      }
      if (rule.maxAgeSeconds !== undefined) {
        headers.set("access-control-max-age", String(rule.maxAgeSeconds));
      }
      return;
    }
    if (!this.allowAll) return;
    // A browser can only read user metadata headers that are named explicitly.
    let exposed = EXPOSED_HEADERS;
    for (const name of headers.keys()) if (name.startsWith("x-amz-meta-")) exposed += ", " + name;
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-expose-headers", exposed);
    headers.set("access-control-allow-credentials", "true");
  }

  /**
   * Refuses a request another origin's page sent (its Origin is not the
   * server's own) unless the bucket's CORS rules allow it. Used with auth off,
   * where nothing else stops any web page the user visits from reading or
   * changing the data through the user's browser: a form POST or a
   * `text/plain` fetch reaches the server without a preflight.
   */
  async refuseForeign(req: Request, bucket: string): Promise<void> {
    const origin = req.headers.get("origin");
    if (origin === null || isSameOrigin(origin, req.headers.get("host"))) return;
    const rules = await this.rules(bucket);
    if (rules && matchRule(rules, origin, req.method)) return;
    throw new S3Error(
      "AccessForbidden",
      "CORSResponse: requests from other origins need a CORS configuration on the bucket while authentication is off.",
    );
  }

  /** Answers an OPTIONS preflight. */
  async preflight(req: Request, bucket: string, requestId: string): Promise<Response> {
    const origin = req.headers.get("origin");
    const method = req.headers.get("access-control-request-method");
    const requested = (req.headers.get("access-control-request-headers") ?? "")
      .split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== "");
    const rules = await this.rules(bucket);
    const fail = (code: "BadRequest" | "AccessForbidden", message: string) =>
      errorResponse(new S3Error(code, message), bucket ? `/${bucket}` : "/", requestId, "OPTIONS");
    // A preflight names its origin and method; without them S3 answers 400, whatever the rules.
    if (!origin || !method) {
      return fail("BadRequest", "Insufficient information. Origin request header needed.");
    }
    if (rules) {
      const rule = matchRule(rules, origin, method, requested);
      if (!rule) {
        return fail(
          "AccessForbidden",
          "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        );
      }
      const wildcard = rule.allowedOrigins.includes("*");
      const h = new Headers({
        "access-control-allow-origin": wildcard ? "*" : origin,
        "access-control-allow-methods": rule.allowedMethods.join(", "),
        vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
      });
      if (requested.length > 0) h.set("access-control-allow-headers", requested.join(", "));
      if (!wildcard) h.set("access-control-allow-credentials", "true");
      if (rule.exposeHeaders.length > 0) {
        h.set("access-control-expose-headers", rule.exposeHeaders.join(", "));
      }
      if (rule.maxAgeSeconds !== undefined) {
        h.set("access-control-max-age", String(rule.maxAgeSeconds));
      }
      return new Response(null, { status: 200, headers: h });
    }
    if (!this.allowAll) {
      return fail("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.");
    }
    if (!DEFAULT_METHODS.split(", ").includes(method.toUpperCase())) {
      return fail("AccessForbidden", "CORSResponse: This CORS request is not allowed.");
    }
    const h = new Headers({
      "access-control-allow-origin": origin,
      "access-control-allow-methods": DEFAULT_METHODS,
      "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "*",
      "access-control-max-age": "86400",
      "access-control-expose-headers": EXPOSED_HEADERS,
      vary: "Origin",
    });
    return new Response(null, { status: 204, headers: h });
  }
}

/** True when `origin` names the server itself, as addressed by the request's Host. */
function isSameOrigin(origin: string, host: string | null): boolean {
  return host !== null && (origin === `http://${host}` || origin === `https://${host}`);
}

/**
 * The endpoints outside the S3 API, answered before authentication and
 * outside the request cap: /health, /health/ready, the console, /metrics.
 */
import type { Authenticator } from "../auth/mod.ts";
import { signaturesEqual } from "../auth/sigv4.ts";
import type { Config } from "../config/mod.ts";
import { responseWith } from "../s3/response.ts";
import type { Storage } from "../storage/mod.ts";
import { consoleFile } from "./console/assets.ts";
import type { Metrics, MetricsPeers } from "./metrics.ts";

/** What the service endpoints read. */
export interface ServiceDeps {
  config: Config;
  storage: Storage;
  authenticator: Authenticator;
  metrics: Metrics;
  peers: MetricsPeers | null;
}

/** The console's policy: its own files only, no inline script or style, never framed. */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; frame-ancestors 'none'";

/** The response of a service endpoint with its operation name, or null for S3 requests. */
export async function serviceEndpoint(
  deps: ServiceDeps,
  req: Request,
  rawPath: string,
): Promise<{ op: string; res: Response } | null> {
  const { config } = deps;
  const method = req.method;
  if (method !== "GET" && method !== "HEAD") return null;
  // MinIO's probe paths too: compose files and Kubernetes manifests written for MinIO use them.
  // https://min.io/docs/minio/linux/operations/monitoring/healthcheck-probe.html
  if (rawPath === "/health" || rawPath === "/minio/health/live") {
    return { op: "Health", res: textResponse("OK", method) };
  }
  if (
    rawPath === "/health/ready" || rawPath === "/minio/health/ready" ||
    rawPath === "/minio/health/cluster"
  ) {
    const ready = await deps.storage.checkWritable().then(() => true, () => false);
    const text = ready ? "READY\n" : "NOT READY: data dir is not writable\n";
    return { op: "Ready", res: textResponse(text, method, ready ? 200 : 503) };
  }
  if (config.console && (rawPath === "/_console" || rawPath.startsWith("/_console/"))) {
    return { op: "Console", res: consoleResponse(rawPath, method, config.region) };
  }
  if (rawPath === "/metrics" && config.metrics) {
    const others = deps.peers ? await deps.peers.collect() : [];
    const perBucket = await mayScrapeBuckets(deps, req, rawPath);
    const text = await deps.metrics.render(deps.storage, others, perBucket);
    return { op: "Metrics", res: textResponse(text, method, 200, "text/plain; version=0.0.4") };
  }
  return null;
}

function consoleResponse(rawPath: string, method: string, region: string): Response {
  if (rawPath === "/_console") {
    return new Response(null, { status: 308, headers: { location: "/_console/" } });
  }
  const file = consoleFile(rawPath.slice("/_console/".length), region);
  return new Response(method === "HEAD" ? null : file.body, {
    headers: {
      "content-type": file.type,
      "cache-control": "no-cache",
      "content-security-policy": CONSOLE_CSP,
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
  });
}

/**
 * Whether a /metrics scrape may see bucket names: with the metrics token
 * (`Authorization: Bearer <token>`), or signed by the administrator (any
 * request with auth off); users of the users file see no other's buckets
 * this way. Others get totals only.
 */
async function mayScrapeBuckets(
  deps: ServiceDeps,
  req: Request,
  rawPath: string,
): Promise<boolean> {
  const authorization = req.headers.get("authorization") ?? "";
  const token = deps.config.metricsToken;
  if (token !== "" && authorization.startsWith("Bearer ")) {
    return signaturesEqual(authorization.slice(7), token);
  }
  try {
    const who = await deps.authenticator.authenticate({
      method: req.method,
      rawPath,
      rawQuery: "",
      headers: req.headers,
    });
    return !deps.config.auth || who.accessKey === deps.config.accessKey;
  } catch {
    return false;
  }
}

function textResponse(
  text: string,
  method: string,
  status = 200,
  type = "text/plain; charset=utf-8",
) {
  return responseWith(method === "HEAD" ? null : text, status, { "content-type": type });
}

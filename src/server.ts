/**
 * The HTTP front: Deno.serve, request ids, the JSON access log, CORS,
 * /health, the concurrency cap, authentication, routing, and turning errors
 * into S3 XML.
 */
import type { Config } from "./config.ts";
import { createAuthenticator } from "./auth/mod.ts";
import { consoleHtml } from "./console/page.ts";
import { FsStorage } from "./storage/fs.ts";
import type { RequestContext } from "./s3/context.ts";
import { isS3Error, S3Error } from "./s3/errors.ts";
import { errorCodeOf, errorResponse, responseWith } from "./s3/response.ts";
import { route } from "./router.ts";
import { isoNow, logEvent, logLine, redactUri, setQuiet } from "./log.ts";
import { CorsPolicy } from "./cors.ts";
import { Metrics, MetricsPeers } from "./metrics.ts";
import { resolveAddress } from "./addressing.ts";
import { ConnectionGuard, RequestActivity } from "./front/connection_guard.ts";
import { socketApi } from "./front/sockets.ts";
import { signaturesEqual } from "./auth/sigv4.ts";

/** A started server. */
export interface RunningServer {
  /** Bound address. */
  readonly hostname: string;
  /** Bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:9000`. */
  readonly url: string;
  /** The store it serves. */
  readonly storage: FsStorage;
  /** Stops accepting, waits for in-flight requests (bounded), releases resources. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
}

/** Options for startServer. */
export interface ServerOptions {
  /** No access log (benchmarks, tests that count lines themselves). */
  quiet?: boolean;
  /** Longest wait for in-flight requests at shutdown, in ms. */
  shutdownTimeoutMs?: number;
  /** Membership of a worker pool: servers in one process sharing the port and data dir. */
  pool?: PoolMembership;
}

/** One server's place in a worker pool (see workers.ts). */
export interface PoolMembership {
  /** Names the pool's metrics channel. */
  readonly id: string;
  /** Servers in the pool, this one included. */
  readonly size: number;
  /** The primary runs the pool's periodic background work (the multipart sweep, the connection guard). */
  readonly primary: boolean;
  /** Requests per peer port, shared by the pool's servers (RequestActivity.newBuffer()). */
  readonly activity?: SharedArrayBuffer;
}

const ID_PREFIX = crypto.randomUUID().replaceAll("-", "").slice(0, 8).toUpperCase();
const HOST_ID = btoa(crypto.randomUUID()).slice(0, 40);
let requestCounter = 0;

function nextRequestId(): string {
  return ID_PREFIX + (++requestCounter).toString(16).toUpperCase().padStart(8, "0");
}

/** Splits the request target into raw path and raw query without normalising anything. */
export function splitTarget(url: string): { rawPath: string; rawQuery: string } {
  const schemeEnd = url.indexOf("://");
  const pathStart = url.indexOf("/", schemeEnd + 3);
  if (pathStart < 0) return { rawPath: "/", rawQuery: "" };
  const q = url.indexOf("?", pathStart);
  return q < 0
    ? { rawPath: url.slice(pathStart), rawQuery: "" }
    : { rawPath: url.slice(pathStart, q), rawQuery: url.slice(q + 1) };
}

/** Maps an unexpected error to the S3 error a client should see. */
function toS3Error(e: unknown): S3Error {
  if (isS3Error(e)) return e;
  if (isBodyCutShort(e)) return new S3Error("IncompleteBody");
  const code = (e as { code?: string })?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return new S3Error("InsufficientStorage");
  if (e instanceof Deno.errors.PermissionDenied || code === "EACCES" || code === "EPERM") {
    return new S3Error("AccessDenied");
  }
  return new S3Error("InternalError");
}

/**
 * A request body that ended before its Content-Length (the client closed the
 * connection): Deno's read of it fails with BadResource. The client's doing,
 * as S3 sees it, not a failure of the server.
 */
function isBodyCutShort(e: unknown): boolean {
  return e instanceof Deno.errors.BadResource && /read (request )?body/i.test(e.message);
}

/** Starts geckos3 on the configured address. */
export async function startServer(
  config: Config,
  options: ServerOptions = {},
): Promise<RunningServer> {
  if (options.quiet) setQuiet(true);
  const storage = new FsStorage({
    dataDir: config.dataDir,
    metadata: config.metadata,
    fsync: config.fsync,
  });
  await storage.init();
  const pool = options.pool;
  const sweeper = pool && !pool.primary
    ? undefined
    : startMultipartSweeper(storage, config.multipartTtlSeconds * 1000);
  const authenticator = await createAuthenticator(config);
  // A pool shares the cap: each of its servers takes its part.
  const maxRequests = Math.ceil(config.maxRequests / (pool?.size ?? 1));

  const metrics = new Metrics();
  const peers = pool && pool.size > 1 ? new MetricsPeers(pool.id, metrics, pool.size - 1) : null;
  // Without authentication the browser's origin is the only thing telling pages apart.
  const cors = new CorsPolicy(storage, config.cors && config.auth);
  const consolePage = consoleHtml(config.region);

  /**
   * Whether a /metrics scrape may see bucket names: with the metrics token
   * (`Authorization: Bearer <token>`), or signed by a known key (any request
   * with auth off). Others get totals only.
   */
  async function mayScrapeBuckets(req: Request, rawPath: string): Promise<boolean> {
    const authorization = req.headers.get("authorization") ?? "";
    if (config.metricsToken !== "" && authorization.startsWith("Bearer ")) {
      return signaturesEqual(authorization.slice(7), config.metricsToken);
    }
    try {
      await authenticator.authenticate({
        method: req.method,
        rawPath,
        rawQuery: "",
        headers: req.headers,
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Endpoints outside the S3 API, answered before authentication; null for S3 requests. */
  async function serviceEndpoint(req: Request, rawPath: string, where: Where) {
    const method = req.method;
    if (method !== "GET" && method !== "HEAD") return null;
    if (rawPath === "/health") {
      where.op = "Health";
      return textResponse("OK", method);
    }
    if (rawPath === "/health/ready") {
      where.op = "Ready";
      const ready = await storage.checkWritable().then(() => true, () => false);
      return textResponse(
        ready ? "READY\n" : "NOT READY: data dir is not writable\n",
        method,
        ready ? 200 : 503,
      );
    }
    if (config.console && (rawPath === "/_console" || rawPath.startsWith("/_console/"))) {
      where.op = "Console";
      if (rawPath === "/_console") {
        return new Response(null, { status: 308, headers: { location: "/_console/" } });
      }
      return new Response(method === "HEAD" ? null : consolePage, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-cache",
          "content-security-policy":
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; frame-ancestors 'none'",
          "x-frame-options": "DENY",
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        },
      });
    }
    if (rawPath === "/metrics" && config.metrics) {
      where.op = "Metrics";
      const others = peers ? await peers.collect() : [];
      return textResponse(
        await metrics.render(storage, others, await mayScrapeBuckets(req, rawPath)),
        method,
        200,
        "text/plain; version=0.0.4",
      );
    }
    return null;
  }

  async function dispatch(
    req: Request,
    { rawPath, rawQuery }: { rawPath: string; rawQuery: string },
    requestId: string,
    where: Where,
  ): Promise<Response> {
    const method = req.method;
    if (rawQuery === "") {
      serviceInflight++;
      try {
        const special = await serviceEndpoint(req, rawPath, where);
        if (special) return special;
      } finally {
        serviceInflight--;
      }
    }
    // Health, metrics and the console stay outside the cap: a full server still answers them.
    if (maxRequests > 0 && metrics.inflight - serviceInflight > maxRequests) {
      throw new S3Error("SlowDown");
    }
    const headers = req.headers;
    const { bucket, key, hosted } = resolveAddress(rawPath, headers.get("host"), config.domains);
    where.bucket = bucket;
    where.resource = key ? `/${bucket}/${key}` : `/${bucket}`;
    if (method === "OPTIONS") {
      where.op = "Preflight";
      return await cors.preflight(req, bucket, requestId);
    }
    if (!config.auth) await cors.refuseForeign(req, bucket);
    const query = new URLSearchParams(rawQuery);
    const auth = await authenticator.authenticate({
      method,
      rawPath,
      rawQuery,
      headers,
      query,
      hostBucket: hosted ? bucket : undefined,
    });
    const op = route(method, bucket, key, query, headers);
    where.op = op.name;
    const ctx: RequestContext = {
      req,
      config,
      storage,
      requestId,
      method,
      rawPath,
      rawQuery,
      query,
      headers,
      bucket,
      key,
      auth,
      authenticator,
    };
    return await op.handler(ctx);
  }

  const activity = new RequestActivity(pool?.activity);
  /** Service endpoints (health, metrics, console) being answered: not counted by -max-requests. */
  let serviceInflight = 0;

  async function handle(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    const started = performance.now();
    const requestId = nextRequestId();
    const where: Where = { op: "", resource: "/", bucket: "" };
    const target = splitTarget(req.url);
    let res: Response;
    let error: string | undefined;
    const addr = info.remoteAddr as Deno.NetAddr;
    metrics.inflight++;
    activity.begin(addr.port);
    try {
      res = await dispatch(req, target, requestId, where);
    } catch (e) {
      const err = toS3Error(e);
      if (!isS3Error(e) && !isBodyCutShort(e)) {
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        logEvent("error", "request failed", {
          request_id: requestId,
          error,
          stack: (e as Error)?.stack,
        });
      }
      res = errorResponse(err, where.resource, requestId, req.method);
    } finally {
      metrics.inflight--;
      activity.end(addr.port);
    }
    const h = res.headers;
    h.set("x-amz-request-id", requestId);
    h.set("x-amz-id-2", HOST_ID);
    h.set("server", "geckos3");
    if (req.method !== "OPTIONS") await cors.decorate(req, where.bucket, h);
    const seconds = (performance.now() - started) / 1000;
    const bytesOut = Number(h.get("content-length") ?? 0);
    metrics.record(
      where.op || "Unknown",
      res.status,
      seconds,
      Number(
        req.headers.get("x-amz-decoded-content-length") ?? req.headers.get("content-length") ?? 0,
      ),
      bytesOut,
    );
    const line: Record<string, unknown> = {
      timestamp: isoNow(),
      request_id: requestId,
      method: req.method,
      uri: redactUri(
        target.rawQuery === "" ? target.rawPath : `${target.rawPath}?${target.rawQuery}`,
      ),
      status: res.status,
      duration_ms: Math.round(seconds * 1000),
      bytes: bytesOut,
      client_ip: `${addr.hostname}:${addr.port}`,
    };
    if (where.op) line.operation = where.op;
    if (res.status >= 400) {
      const code = errorCodeOf(res);
      if (code) line.error_code = code;
    }
    if (error) line.error = error;
    logLine(line);
    return res;
  }

  const ac = new AbortController();
  let resolveListen!: (addr: Deno.NetAddr) => void;
  const listening = new Promise<Deno.NetAddr>((resolve) => (resolveListen = resolve));
  const tls = config.tlsCert
    ? { cert: await Deno.readTextFile(config.tlsCert), key: await Deno.readTextFile(config.tlsKey) }
    : {};
  const serveOn = (hostname: string, port: number) =>
    Deno.serve({
      ...tls,
      hostname,
      port,
      reusePort: (pool?.size ?? 1) > 1,
      signal: ac.signal,
      onListen: (addr) => resolveListen(addr as Deno.NetAddr),
      onError: (e) => {
        logEvent("error", "unhandled", { error: String(e) });
        return errorResponse(new S3Error("InternalError"), "/", nextRequestId(), "GET");
      },
    }, handle);
  // A listen address without a host (":9000") means every interface, IPv6 included where
  // the system has it, as Go does: try the dual-stack wildcard first.
  let server: Deno.HttpServer<Deno.NetAddr>;
  if (config.listen.startsWith(":")) {
    try {
      server = serveOn("::", config.port);
    } catch {
      server = serveOn("0.0.0.0", config.port);
    }
  } else {
    server = serveOn(config.hostname, config.port);
  }
  const addr = await listening;
  const host = addr.hostname === "0.0.0.0" || addr.hostname === "::"
    ? "127.0.0.1"
    : addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  const guard = startConnectionGuard(config, activity, addr.port, pool);
  let stopped = false;
  const { promise: finished, resolve: finish } = Promise.withResolvers<void>();
  // Deno ends its accept loop on the first accept error (EMFILE when descriptors run out):
  // serve again on the same address after a pause, as Go's http.Server retries Accept.
  let pause = 0;
  const keepServing = (current: Deno.HttpServer<Deno.NetAddr>) => {
    current.finished.then(() => finish(), (e) => {
      if (stopped) return finish();
      pause = Math.min(Math.max(pause * 2, 50), 2000);
      logEvent("error", "accepting connections failed; serving again shortly", {
        error: String(e),
        retry_ms: pause,
      });
      const retry = () => {
        if (stopped) return finish();
        try {
          server = serveOn(addr.hostname, addr.port);
          keepServing(server);
        } catch (again) {
          pause = Math.min(pause * 2, 2000);
          logEvent("error", "cannot listen yet", { error: String(again), retry_ms: pause });
          setTimeout(retry, pause);
        }
      };
      setTimeout(retry, pause);
    });
  };
  keepServing(server);
  return {
    hostname: addr.hostname,
    port: addr.port,
    url: `${config.tlsCert ? "https" : "http"}://${host}:${addr.port}`,
    storage,
    finished,
    async shutdown() {
      if (stopped) return finished;
      stopped = true;
      guard?.stop();
      const timeout = options.shutdownTimeoutMs ?? 10_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            ac.abort();
            resolve();
          }, timeout);
        }),
      ]);
      clearTimeout(timer);
      clearInterval(sweeper);
      peers?.close();
      await storage.close();
    },
  };
}

/**
 * The process's connection guard, run by one server of a pool: header and
 * idle timeouts, and a connection cap that leaves room in the open-file
 * limit for the files requests open. Null where the OS offers no way to
 * watch connections (then a warning says the limits are not enforced).
 */
function startConnectionGuard(
  config: Config,
  activity: RequestActivity,
  port: number,
  pool: PoolMembership | undefined,
): ConnectionGuard | null {
  if (pool && !pool.primary) return null;
  const { headerTimeoutSeconds, idleTimeoutSeconds, maxConnections } = config;
  if (headerTimeoutSeconds === 0 && idleTimeoutSeconds === 0 && maxConnections === 0) return null;
  const sockets = socketApi();
  if (!sockets) {
    logEvent("warn", "connection timeouts and -max-connections need Linux and FFI: not enforced");
    return null;
  }
  const files = sockets.raiseFileLimit();
  const room = Number.isFinite(files) ? Math.max(16, files - Math.max(64, files >> 2)) : Infinity;
  return new ConnectionGuard(sockets, activity, port, {
    headerTimeoutMs: headerTimeoutSeconds * 1000,
    idleTimeoutMs: idleTimeoutSeconds * 1000,
    maxConnections: Math.min(maxConnections > 0 ? maxConnections : Infinity, room),
  });
}

/**
 * Removes abandoned multipart uploads once at start-up and then every
 * quarter of the TTL (at most hourly); a TTL of 0 disables the sweep.
 */
function startMultipartSweeper(
  storage: FsStorage,
  ttlMs: number,
): ReturnType<typeof setInterval> | undefined {
  if (ttlMs <= 0) return undefined;
  const sweep = () => {
    storage.multipart.sweep(ttlMs).then((n) => {
      if (n > 0) logEvent("info", "removed abandoned multipart uploads", { count: n });
    }).catch((e) => logEvent("error", "multipart sweep failed", { error: String(e) }));
  };
  sweep();
  const timer = setInterval(sweep, Math.max(1000, Math.min(ttlMs / 4, 3600_000)));
  Deno.unrefTimer(timer);
  return timer;
}

/** Where a request was routed: for errors, logs, metrics and CORS. */
interface Where {
  op: string;
  resource: string;
  bucket: string;
}

function textResponse(
  text: string,
  method: string,
  status = 200,
  type = "text/plain; charset=utf-8",
) {
  return responseWith(method === "HEAD" ? null : text, status, { "content-type": type });
}

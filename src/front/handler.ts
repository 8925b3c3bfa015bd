/**
 * The front as a function: one request in, one response out. Request ids,
 * the service endpoints, the concurrency cap, CORS, addressing,
 * authentication, routing, errors as S3 XML, metrics and the access log.
 * Listening, TLS and shutdown are server.ts's; tests may call the handler
 * without a socket.
 */
import type { Authenticator, UserDirectory } from "../auth/mod.ts";
import type { Config } from "../config/mod.ts";
import { isS3Error, S3Error } from "../errors.ts";
import { isoNow, type Logger, redactUri } from "../log.ts";
import { bucketFromHost, resolveAddress } from "../router/addressing.ts";
import { websiteResponse } from "../s3/website.ts";
import { checkedBucket } from "../s3/names.ts";
import { route } from "../router/router.ts";
import type { RequestContext } from "../s3/context.ts";
import { errorCodeOf, errorResponse, HOST_ID } from "../s3/response.ts";
import type { Notifier } from "../s3/events.ts";
import type { Storage } from "../storage/mod.ts";
import type { RequestActivity } from "./connection_guard.ts";
import type { CorsPolicy } from "./cors.ts";
import type { AccessControl } from "./access/control.ts";
import type { Metrics, MetricsPeers } from "./metrics.ts";
import { serviceEndpoint } from "./service.ts";
import { ADMIN_PREFIX, adminEndpoint } from "./admin/api.ts";
import type { UsersFile } from "./admin/users_file.ts";

/** Everything the handler works with. */
export interface HandlerDeps {
  config: Config;
  storage: Storage;
  authenticator: Authenticator;
  metrics: Metrics;
  /** The other servers of a worker pool, for /metrics (null alone). */
  peers: MetricsPeers | null;
  cors: CorsPolicy;
  /** Who may do what. */
  access: AccessControl;
  /** Requests per peer port, for the connection guard. */
  activity: RequestActivity;
  log: Logger;
  /** Most S3 requests at once (0: no cap). */
  maxRequests: number;
  /** Queues event notifications. */
  notifier: Notifier;
  /** The users the server knows (the console's key management). */
  users: UserDirectory;
  /** The users file, when there is one (the console's key management writes it). */
  usersFile: UsersFile | null;
  /** When the server started (ms since the epoch). */
  startedAt: number;
}

/** Where a request was routed: for errors, logs, metrics and CORS. */
interface Where {
  op: string;
  resource: string;
  bucket: string;
  /** Who sent the request, once known: a user name, `root` or `anonymous`. */
  user?: string;
}

/** Who sent a request (Deno.serve's handler info, or a test's stand-in). */
export interface Peer {
  remoteAddr: Deno.Addr;
  /**
   * A request the server makes of itself (the seed at start-up): taken as the
   * administrator's without a signature. Deno.serve never sets it.
   */
  internal?: true;
}

/** A request handler: a request and its peer in, the response out. */
export type RequestHandler = (req: Request, info: Peer) => Promise<Response>;

/** What a handler keeps between requests. */
interface HandlerState {
  /** The next request id. */
  nextRequestId: () => string;
  /** Service endpoints (health, metrics, console) being answered: not counted by -max-requests. */
  serviceInflight: number;
}

/** Makes the request handler of one server. */
export function createHandler(deps: HandlerDeps): RequestHandler {
  const state: HandlerState = { nextRequestId: requestIds(), serviceInflight: 0 };
  return (req, info) => handle(deps, state, req, info);
}

async function handle(
  deps: HandlerDeps,
  state: HandlerState,
  req: Request,
  info: Peer,
): Promise<Response> {
  const started = performance.now();
  const requestId = state.nextRequestId();
  const where: Where = { op: "", resource: "/", bucket: "" };
  const target = splitTarget(req.url);
  let res: Response;
  let error: string | undefined;
  const addr = info.remoteAddr as Deno.NetAddr;
  deps.metrics.inflight++;
  deps.activity.begin(addr.port);
  try {
    res = await dispatch(deps, state, {
      req,
      target,
      requestId,
      where,
      addr,
      internal: info.internal,
    });
  } catch (e) {
    const err = toS3Error(e);
    if (!isS3Error(e) && !isBodyCutShort(e)) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      deps.log.event("error", "request failed", {
        request_id: requestId,
        error,
        stack: (e as Error)?.stack,
      });
    }
    res = errorResponse(err, where.resource, requestId, req.method);
  } finally {
    deps.metrics.inflight--;
    deps.activity.end(addr.port);
  }
  const h = res.headers;
  h.set("x-amz-request-id", requestId);
  h.set("x-amz-id-2", HOST_ID);
  h.set("server", "geckos3");
  if (emptyExpectingContinue(req)) {
    // An empty body announced with `Expect: 100-continue` is answered without `100 Continue`
    // (there is nothing to read), and botocore then misreads the next response on the same
    // connection, stalling 60 s (aws-cli, boto3). S3 sends 100 first; closing the connection
    // after the response keeps any client from reusing it.
    h.set("connection", "close");
  }
  if (req.method !== "OPTIONS") await deps.cors.decorate(req, where.bucket, h);
  const seconds = (performance.now() - started) / 1000;
  const bytesOut = Number(h.get("content-length") ?? 0);
  deps.metrics.record(
    where.op || "Unknown",
    res.status,
    seconds,
    Number(
      req.headers.get("x-amz-decoded-content-length") ?? req.headers.get("content-length") ?? 0,
    ),
    bytesOut,
  );
  const line = accessLine({ req, target, requestId, where, res, seconds, addr, error });
  deps.log.line(line);
  deps.metrics.activity.add(line);
  return res;
}

/** One request as the handler sees it while it is answered. */
interface Exchange {
  req: Request;
  target: { rawPath: string; rawQuery: string };
  requestId: string;
  where: Where;
  addr: Deno.NetAddr;
  internal?: true;
}

/** Answers a request: a service endpoint, or an authenticated S3 operation. */
async function dispatch(deps: HandlerDeps, state: HandlerState, x: Exchange): Promise<Response> {
  const { config } = deps;
  const { req, where } = x;
  const { rawPath, rawQuery } = x.target;
  const method = req.method;
  const site = bucketFromHost(req.headers.get("host"), config.websiteDomains);
  if (site !== null) return await website(deps, x, site);
  if (config.console && rawPath.startsWith(ADMIN_PREFIX)) {
    const admin = await adminEndpoint(deps, { req, rawPath, rawQuery });
    where.op = admin.op;
    return admin.res;
  }
  if (rawQuery === "") {
    state.serviceInflight++;
    try {
      const special = await serviceEndpoint(deps, req, rawPath);
      if (special) {
        where.op = special.op;
        return special.res;
      }
    } finally {
      state.serviceInflight--;
    }
  }
  // Health, metrics and the console stay outside the cap: a full server still answers them.
  if (deps.maxRequests > 0 && deps.metrics.inflight - state.serviceInflight > deps.maxRequests) {
    throw new S3Error("SlowDown");
  }
  const headers = req.headers;
  const { bucket, key, hosted } = resolveAddress(rawPath, headers.get("host"), config.domains);
  where.bucket = bucket;
  where.resource = key ? `/${bucket}/${key}` : `/${bucket}`;
  if (method === "OPTIONS") {
    where.op = "Preflight";
    return await deps.cors.preflight(req, bucket, x.requestId);
  }
  if (!config.auth && !x.internal) await deps.cors.refuseForeign(req, bucket);
  const query = new URLSearchParams(rawQuery);
  const auth = x.internal
    ? { accessKey: config.accessKey }
    : await deps.authenticator.authenticate({
      method,
      rawPath,
      rawQuery,
      headers,
      query,
      hostBucket: hosted ? bucket : undefined,
    });
  const op = route(method, bucket, key, query, headers);
  where.op = op.name;
  // The decision of the front for this operation, as the request's signer (or, for a browser
  // POST, as its form's: see RequestContext.authorizeAs).
  const authorize = async (as: typeof auth, objectKey: string, asHeaders: Headers) => {
    const decided = await deps.access.authorize({
      operation: op.name,
      bucket,
      key: objectKey,
      query,
      headers: asHeaders,
      auth: as,
      sourceIp: x.addr.hostname,
    });
    const who = decided.caller.principal;
    where.user = who.type === "user" ? who.name : who.type;
    return decided;
  };
  const authorization = await authorize(auth, key, headers);
  const { principal } = authorization.caller;
  const ctx: RequestContext = {
    req,
    config,
    storage: deps.storage,
    requestId: x.requestId,
    method,
    rawPath,
    rawQuery,
    query,
    headers,
    bucket,
    key,
    auth,
    sourceIp: x.addr.hostname,
    principalId: auth.accessKey === null ? "Anonymous" : `AWS:${auth.accessKey}`,
    notifier: deps.notifier,
    authenticator: deps.authenticator,
    permits: authorization.permits,
    authorizeAs: async (asAuth, objectKey, fieldHeaders) => {
      await authorize(asAuth, objectKey, fieldHeaders);
      where.resource = `/${bucket}/${objectKey}`;
    },
  };
  try {
    return await op.handler(ctx);
  } catch (e) {
    // Whether a key exists is for those who may list the bucket; others are refused as S3 does.
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
    if (
      isS3Error(e) && (e.code === "NoSuchKey" || e.code === "NoSuchVersion") &&
      principal.type !== "root" && !(await authorization.permits("s3:ListBucket"))
    ) throw new S3Error("AccessDenied");
    throw e;
  }
}

/** A request to a bucket's website endpoint (`<bucket>.<website domain>`), served anonymously. */
async function website(deps: HandlerDeps, x: Exchange, bucket: string): Promise<Response> {
  const { req, where } = x;
  where.op = "Website";
  where.bucket = bucket;
  where.user = "anonymous";
  let key: string;
  try {
    key = decodeURIComponent(x.target.rawPath.slice(1));
  } catch {
    throw new S3Error("InvalidURI");
  }
  where.resource = `/${bucket}/${key}`;
  checkedBucket(bucket);
  deps.storage.requireBucket(bucket);
  return await websiteResponse({
    storage: deps.storage,
    bucket,
    key,
    method: req.method,
    mayRead: (objectKey) =>
      deps.access.authorize({
        operation: "GetObject",
        bucket,
        key: objectKey,
        query: new URLSearchParams(),
        headers: req.headers,
        auth: { accessKey: null, anonymous: true },
        sourceIp: x.addr.hostname,
      }).then(() => true, () => false),
  });
}

/** The access log line of an answered request. */
function accessLine(
  x: Exchange & { res: Response; seconds: number; addr: Deno.NetAddr; error?: string },
): Record<string, unknown> {
  const { target, res } = x;
  const line: Record<string, unknown> = {
    timestamp: isoNow(),
    request_id: x.requestId,
    method: x.req.method,
    uri: redactUri(
      target.rawQuery === "" ? target.rawPath : `${target.rawPath}?${target.rawQuery}`,
    ),
    status: res.status,
    duration_ms: Math.round(x.seconds * 1000),
    bytes: Number(res.headers.get("content-length") ?? 0),
    client_ip: `${x.addr.hostname}:${x.addr.port}`,
  };
  if (x.where.op) line.operation = x.where.op;
  if (x.where.user) line.user = x.where.user;
  if (res.status >= 400) {
    const code = errorCodeOf(res);
    if (code) line.error_code = code;
  }
  if (x.error) line.error = x.error;
  return line;
}

/** A request announcing `Expect: 100-continue` for a body of no bytes. */
function emptyExpectingContinue(req: Request): boolean {
  const expect = req.headers.get("expect");
  return expect !== null && expect.toLowerCase() === "100-continue" &&
    (req.headers.get("content-length") ?? "0").trim() === "0";
}

/** The host id of this process (`x-amz-id-2`). */

/** A source of request ids: a random prefix per handler, then a counter. */
export function requestIds(): () => string {
  const prefix = crypto.randomUUID().replaceAll("-", "").slice(0, 8).toUpperCase();
  let counter = 0;
  return () => prefix + (++counter).toString(16).toUpperCase().padStart(8, "0");
}

/** Splits the request target into raw path and raw query without normalising anything. */
function splitTarget(url: string): { rawPath: string; rawQuery: string } {
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

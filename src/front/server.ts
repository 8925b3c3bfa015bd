/**
 * The server: opens the store, builds the request handler (handler.ts) and
 * serves it with Deno.serve (TLS, a pool's shared port, re-serving after an
 * accept failure), then shuts it all down in order.
 */
import { createAuthenticator, parseUsersFile, type User, UserDirectory } from "../auth/mod.ts";
import { applySeed, parseSeed, SeedError } from "./seed.ts";
import {
  type Config,
  loadTls,
  parseNotifyTargets,
  readNotifyTargets,
  readSeedFile,
  readUsersFile,
  watchFile,
} from "../config/mod.ts";
import { Notifier } from "../s3/events.ts";
import { startNotificationSender } from "../s3/notification_sender.ts";
import { AccessControl } from "./access/control.ts";
import { applyLifecycle } from "../s3/lifecycle_scan.ts";
import { S3Error } from "../errors.ts";
import { Logger } from "../log.ts";
import { errorResponse } from "../s3/response.ts";
import { FsStorage, type Storage } from "../storage/mod.ts";
import { ConnectionGuard, RequestActivity } from "./connection_guard.ts";
import { CorsPolicy } from "./cors.ts";
import { createHandler, requestIds } from "./handler.ts";
import { Metrics, MetricsPeers } from "./metrics.ts";
import { UsersFile } from "./admin/users_file.ts";
import { UsersSync } from "./admin/users_sync.ts";
import { socketApi } from "./sockets.ts";

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
  /** The generation of bucket configurations, shared by the pool's servers (ConfigStamps.newBuffer()). */
  readonly configGeneration?: SharedArrayBuffer;
}

/** Starts geckos3 on the configured address. */
export async function startServer(
  config: Config,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const log = new Logger(options.quiet ?? false);
  // Targets first: a bad targets document stops start-up before anything is touched.
  const targets = parseNotifyTargets(
    await readNotifyTargets(config.notifyTargets) || '{"targets":[]}',
  );
  const storage = new FsStorage({
    dataDir: config.dataDir,
    metadata: config.metadata,
    fsync: config.fsync,
    log,
    configGeneration: options.pool?.configGeneration,
    eventQueueBytes: config.notifyQueueMb * 1024 * 1024,
    etagHash: config.etag,
  });
  await storage.init();
  const pool = options.pool;
  const sweeper = pool && !pool.primary
    ? undefined
    : startMultipartSweeper(storage, config.multipartTtlSeconds * 1000, log);
  const seed = config.seed ? parseSeed(await readSeedFile(config.seed), config.seed) : null;
  // The seed's users stay beside the users file's, whenever that is read again.
  let seedUsers: User[] = [];
  try {
    seedUsers = seed ? parseUsersFile(JSON.stringify({ users: seed.users })) : [];
  } catch (e) {
    throw new SeedError(`seed ${config.seed}: users: ${(e as Error).message}`);
  }
  const users = new UserDirectory(config, seedUsers);
  let unwatch = () => {};
  // The console's edits of the users file, told to the pool's other servers at once: a rotated,
  // disabled or deleted key must stop working on every thread, not after the next poll.
  let usersSync: UsersSync | null = null;
  if (config.credentialsFile) {
    const path = config.credentialsFile;
    try {
      users.replace([...parseUsersFile(await readUsersFile(path)), ...seedUsers]);
    } catch (e) {
      throw new Error(`users file ${path}: ${(e as Error).message}`);
    }
    // Edits apply without a restart; a file that does not parse leaves the last good users.
    const reload = (text: string) => {
      try {
        users.replace([...parseUsersFile(text), ...seedUsers]);
        log.event("info", "users file reloaded", { path, users: users.all().length - 1 });
      } catch (e) {
        log.event("warn", "users file not reloaded: keeping the last good one", {
          path,
          reason: (e as Error).message,
        });
      }
    };
    const stopWatching = watchFile(path, reload);
    if (pool && pool.size > 1) {
      usersSync = new UsersSync(pool.id, pool.size - 1, () => readUsersFile(path).then(reload));
    }
    unwatch = () => {
      stopWatching();
      usersSync?.close();
    };
  }
  const authenticator = createAuthenticator(config, users);
  const metrics = new Metrics();
  const count = (target: string, state: string, n = 1) =>
    metrics.recordNotification(target, state, n);
  const notifier = new Notifier(storage, { targets, region: config.region, log, count });
  const sender = targets.length === 0 || (pool && !pool.primary)
    ? undefined
    : startNotificationSender(storage, { targets, log, count });
  if (sender) notifier.onQueued(sender.poke);
  const lifecycle = pool && !pool.primary ? undefined : startLifecycleScanner({
    storage,
    dayMs: config.lifecycleDaySeconds * 1000,
    log,
    metrics,
    notifier,
  });
  const peers = pool && pool.size > 1 ? new MetricsPeers(pool.id, metrics, pool.size - 1) : null;
  const activity = new RequestActivity(pool?.activity);
  const handle = createHandler({
    config,
    storage,
    authenticator,
    metrics,
    peers,
    // Without authentication the browser's origin is the only thing telling pages apart.
    cors: new CorsPolicy(storage, config.cors && config.auth),
    access: new AccessControl(storage, users, {
      enabled: config.auth,
      secure: config.tlsCert !== "",
    }),
    activity,
    log,
    // A pool shares the cap: each of its servers takes its part.
    maxRequests: Math.ceil(config.maxRequests / (pool?.size ?? 1)),
    notifier,
    users,
    usersFile: config.credentialsFile
      ? new UsersFile(config.credentialsFile, async (next) => {
        users.replace([...next, ...seedUsers]);
        await usersSync?.announce();
      })
      : null,
    startedAt: Date.now(),
  });
  const errorIds = requestIds();
  // Seeded before the first request is served: a client that sees the port open sees the seed.
  if (!pool || pool.primary) {
    await applySeed(handle, {
      buckets: [...config.buckets, ...(seed?.buckets ?? [])],
      dir: seed?.dir ?? ".",
    });
  }

  const ac = new AbortController();
  let resolveListen!: (addr: Deno.NetAddr) => void;
  const listening = new Promise<Deno.NetAddr>((resolve) => (resolveListen = resolve));
  const tls = (await loadTls(config)) ?? {};
  const serveOn = (hostname: string, port: number) =>
    Deno.serve({
      ...tls,
      hostname,
      port,
      reusePort: (pool?.size ?? 1) > 1,
      signal: ac.signal,
      onListen: (addr) => resolveListen(addr as Deno.NetAddr),
      onError: (e) => {
        log.event("error", "unhandled", { error: String(e) });
        return errorResponse(new S3Error("InternalError"), "/", errorIds(), "GET");
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
  const guard = startConnectionGuard({ config, activity, port: addr.port, pool, log });
  let stopped = false;
  const { promise: finished, resolve: finish } = Promise.withResolvers<void>();
  // Deno ends its accept loop on the first accept error (EMFILE when descriptors run out):
  // serve again on the same address after a pause, as Go's http.Server retries Accept.
  let pause = 0;
  const keepServing = (current: Deno.HttpServer<Deno.NetAddr>) => {
    current.finished.then(() => finish(), (e) => {
      if (stopped) return finish();
      pause = Math.min(Math.max(pause * 2, 50), 2000);
      log.event("error", "accepting connections failed; serving again shortly", {
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
          log.event("error", "cannot listen yet", { error: String(again), retry_ms: pause });
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
      await lifecycle?.stop();
      await sender?.stop();
      unwatch();
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
  { config, activity, port, pool, log }: {
    config: Config;
    activity: RequestActivity;
    port: number;
    pool: PoolMembership | undefined;
    log: Logger;
  },
): ConnectionGuard | null {
  if (pool && !pool.primary) return null;
  const { headerTimeoutSeconds, idleTimeoutSeconds, maxConnections } = config;
  if (headerTimeoutSeconds === 0 && idleTimeoutSeconds === 0 && maxConnections === 0) return null;
  const sockets = socketApi();
  if (!sockets) {
    log.event("warn", "connection timeouts and -max-connections need Linux and FFI: not enforced");
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
 * Applies the buckets' lifecycle rules a quarter of a (lifecycle) day apart,
 * at most hourly; one pass at a time, its actions logged and counted.
 */
function startLifecycleScanner(
  opts: { storage: Storage; dayMs: number; log: Logger; metrics: Metrics; notifier: Notifier },
): { stop(): Promise<void> } | undefined {
  const { storage, dayMs, log, metrics, notifier } = opts;
  if (dayMs <= 0) return undefined;
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  const pass = () => {
    running ??= applyLifecycle(storage, { dayMs, notifier, signal: stopping.signal })
      .then(({ scanned, ...actions }) => {
        metrics.recordLifecycle(actions);
        if (Object.values(actions).some((n) => n > 0)) {
          log.event("info", "lifecycle rules applied", { scanned, ...actions });
        }
      }).catch((e) => log.event("error", "lifecycle pass failed", { error: String(e) }))
      .finally(() => (running = null));
  };
  const timer = setInterval(pass, Math.max(250, Math.min(dayMs / 4, 3600_000)));
  Deno.unrefTimer(timer);
  return {
    // A pass under way stops at its next page and saves where it was (it resumes there).
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}

/**
 * Removes abandoned multipart uploads once at start-up and then every
 * quarter of the TTL (at most hourly); a TTL of 0 disables the sweep.
 */
function startMultipartSweeper(
  storage: Storage,
  ttlMs: number,
  log: Logger,
): ReturnType<typeof setInterval> | undefined {
  if (ttlMs <= 0) return undefined;
  const sweep = () => {
    storage.uploads.sweep(ttlMs).then((n) => {
      if (n > 0) log.event("info", "removed abandoned multipart uploads", { count: n });
    }).catch((e) => log.event("error", "multipart sweep failed", { error: String(e) }));
  };
  sweep();
  const timer = setInterval(sweep, Math.max(1000, Math.min(ttlMs / 4, 3600_000)));
  Deno.unrefTimer(timer);
  return timer;
}

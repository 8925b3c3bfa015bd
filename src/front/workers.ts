/**
 * Serving on several cores: the main thread's server plus extra Deno workers,
 * each running a whole server of its own on the same port (SO_REUSEPORT: the
 * kernel spreads connections over them) and the same data dir. The storage
 * layer is already safe for several servers on one data dir (cross-process
 * key locks, per-server temp areas, caches validated against the disk), so
 * the servers share nothing in memory but their metrics.
 */
import { AUTO_WORKERS, type Config } from "../config/mod.ts";
import type { PoolMembership } from "./server.ts";
import { logEvent } from "../log.ts";
import { RequestActivity } from "./connection_guard.ts";
import { ConfigStamps } from "../storage/mod.ts";

/** What the main thread tells a worker. */
export type ToWorker =
  | { type: "start"; config: Config; pool: PoolMembership }
  | { type: "shutdown" };

/** What a worker tells the main thread. */
export type FromWorker =
  | { type: "ready" }
  | { type: "failed"; error: string }
  | { type: "stopped" };

/** The extra workers of a pool. */
export interface WorkerPool {
  /** Stops every worker's server (in-flight requests finish first), then ends the workers. */
  shutdown(): Promise<void>;
}

/**
 * How many servers `config.workers` asks for here: 0 means one per core,
 * "auto" one per core up to AUTO_WORKERS; only Linux balances.
 */
export function poolSize(config: Config): number {
  return serverThreads(config.workers);
}

/**
 * How many server threads a `-workers` setting means on this machine (see
 * poolSize), for a process with (or, by default, like this one) `--unstable-net`.
 */
export function serverThreads(
  workers: Config["workers"],
  reusePort: boolean = reusePortAllowed(),
): number {
  const cores = navigator.hardwareConcurrency;
  const wanted = workers === "auto"
    ? Math.min(cores, AUTO_WORKERS)
    : workers === 0
    ? cores
    : workers;
  return Deno.build.os === "linux" && reusePort ? Math.max(1, wanted) : 1;
}

/**
 * Whether Deno lets this process share a port (SO_REUSEPORT): only under
 * `--unstable-net`, which deno.json, the binary and the image turn on.
 * Asking without it ends the process, so ask that flag's own APIs
 * (`Deno.listenDatagram` exists only with it).
 */
export function reusePortAllowed(): boolean {
  return typeof (Deno as unknown as Record<string, unknown>).listenDatagram === "function";
}

/** A pool membership for the main thread's server and a fresh pool id. */
export function primaryMembership(size: number): PoolMembership {
  return {
    id: crypto.randomUUID(),
    size,
    primary: true,
    activity: RequestActivity.newBuffer(),
    configGeneration: ConfigStamps.newBuffer(),
  };
}

/**
 * Starts `pool.size - 1` workers serving `config` on `port` (the port the
 * primary server is bound to, so a `:0` listen address gets one port for all).
 * A worker that dies is logged and replaced.
 */
export async function startWorkers(
  config: Config,
  port: number,
  pool: PoolMembership,
): Promise<WorkerPool> {
  const workerConfig: Config = { ...config, port };
  const membership: PoolMembership = { ...pool, primary: false };
  let stopping = false;
  const running = new Set<Worker>();

  const spawn = (): Promise<Worker> => {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    running.add(worker);
    return new Promise((resolve, reject) => {
      let started = false;
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        if (e.data.type === "ready") {
          started = true;
          resolve(worker);
        } else if (e.data.type === "failed") {
          running.delete(worker);
          worker.terminate();
          reject(new Error(e.data.error));
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        running.delete(worker);
        worker.terminate();
        if (!started) return reject(new Error(e.message));
        if (stopping) return;
        logEvent("error", "server worker failed; starting another", { error: e.message });
        spawn().catch((err) =>
          logEvent("error", "could not replace a server worker", { error: String(err) })
        );
      };
      worker.postMessage({ type: "start", config: workerConfig, pool: membership } as ToWorker);
    });
  };

  try {
    await Promise.all(Array.from({ length: pool.size - 1 }, spawn));
  } catch (e) {
    for (const w of running) w.terminate();
    throw e;
  }
  return {
    async shutdown() {
      stopping = true;
      await Promise.all([...running].map((worker) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 15_000);
          worker.onmessage = (e: MessageEvent<FromWorker>) => {
            if (e.data.type !== "stopped") return;
            clearTimeout(timer);
            resolve();
          };
          worker.postMessage({ type: "shutdown" } as ToWorker);
        }).then(() => worker.terminate())
      ));
      running.clear();
    },
  };
}

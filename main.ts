/**
 * geckos3 entry point: parses flags and environment, then serves, prints the
 * version or help, or probes a running server's health.
 */
import {
  ConfigError,
  helpText,
  makeEphemeralDir,
  parseCommand,
  removeEphemeralDir,
} from "./src/config/mod.ts";
import { startServer } from "./src/front/server.ts";
import { versionLine } from "./src/version.ts";
import { flushLog, logEvent } from "./src/log.ts";
import { runHealthcheck } from "./src/cli/healthcheck.ts";
import { startupWarnings } from "./src/cli/warnings.ts";
import { md5Implementation } from "./src/checksum/md5.ts";
import { poolSize, primaryMembership, startWorkers, type WorkerPool } from "./src/front/workers.ts";

async function main(): Promise<number> {
  let command;
  try {
    command = parseCommand(Deno.args, Deno.env.toObject());
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`geckos3: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (command.kind === "version") {
    console.log(versionLine());
    return 0;
  }
  if (command.kind === "help") {
    console.log(helpText());
    return 0;
  }
  if (command.kind === "healthcheck") return await runHealthcheck(command.config);

  let config = command.config;
  if (config.ephemeral && !config.dataDirGiven) {
    config = Object.freeze({ ...config, dataDir: await makeEphemeralDir() });
  }
  // -ephemeral: the data dir goes with the server, however it stops.
  const cleanUp = () => config.ephemeral ? removeEphemeralDir(config.dataDir) : Promise.resolve();
  // Signals are taken from the start: one that comes while the workers start stops the server
  // once they have, instead of killing the process.
  let stopAsked: string | null = null;
  let stop = (signal: string) => void (stopAsked ??= signal);
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  const size = poolSize(config);
  const pool = size > 1 ? primaryMembership(size) : undefined;
  let server;
  let workers: WorkerPool | null = null;
  try {
    server = await startServer(config, { pool });
    if (pool) workers = await startWorkers(config, server.port, pool);
  } catch (e) {
    const what = e instanceof Deno.errors.AddrInUse
      ? `cannot listen on ${config.listen}: address in use`
      : e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotADirectory ||
          e instanceof Deno.errors.AlreadyExists
      ? `data dir ${config.dataDir} is not a writable directory (${(e as Error).message})`
      : `cannot start: ${(e as Error).message}`;
    console.error(`geckos3: ${what}`);
    await cleanUp();
    return 2;
  }
  logEvent("info", "geckos3 started", {
    version: versionLine(),
    listen: server.url,
    data_dir: server.storage.root,
    auth: config.auth,
    metadata: config.metadata,
    fsync: config.fsync,
    workers: size,
    md5: md5Implementation(),
    // A throwaway server prints what a test suite needs to reach it.
    ...(config.ephemeral
      ? { ephemeral: true, access_key: config.accessKey, secret_key: config.secretKey }
      : {}),
  });
  if (config.workers !== "auto" && config.workers > 1 && size === 1) {
    logEvent(
      "warn",
      "several workers need SO_REUSEPORT load balancing (Linux, --unstable-net): serving with one",
    );
  }
  for (const warning of startupWarnings(config)) logEvent("warn", warning);
  let stopping: Promise<void> | null = null;
  stop = (signal: string) => {
    if (stopping) return;
    logEvent("info", "shutting down", { signal });
    stopping = Promise.all([workers?.shutdown(), server.shutdown()]).then(() => {});
  };
  if (stopAsked) stop(stopAsked);
  await server.finished;
  await stopping;
  await cleanUp();
  logEvent("info", "stopped");
  return 0;
}

if (import.meta.main) {
  const code = await main();
  flushLog();
  Deno.exit(code);
}

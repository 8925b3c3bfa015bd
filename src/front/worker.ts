/**
 * The entry point of one server worker of a pool (see workers.ts): starts a
 * server when told, stops it when told, and reports back.
 */
/// <reference lib="deno.worker" />
import { type RunningServer, startServer } from "./server.ts";
import { flushLog } from "../log.ts";
import type { FromWorker, ToWorker } from "./workers.ts";

let server: RunningServer | null = null;

const reply = (msg: FromWorker) => self.postMessage(msg);

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "start") {
    try {
      server = await startServer(Object.freeze(msg.config), { pool: msg.pool });
      reply({ type: "ready" });
    } catch (err) {
      reply({ type: "failed", error: err instanceof Error ? err.message : String(err) });
    }
  } else if (msg.type === "shutdown") {
    await server?.shutdown();
    flushLog();
    reply({ type: "stopped" });
  }
};

/** Test support: geckos3 as a child process (`deno run main.ts`), with its JSON log lines. */

import { runtimeFlags } from "../../scripts/release.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * The permission flags of the `start` task in deno.json: child servers run
 * with exactly the permissions users run with, so a missing one fails here.
 */
export const START_FLAGS: string[] = runtimeFlags();

/** A free loopback TCP port (bound and released). */
export function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return Promise.resolve(port);
}

/** A geckos3 child process. */
export interface ServerProcess {
  /** Base URL. */
  url: string;
  /** The child. */
  child: Deno.ChildProcess;
  /** JSON log lines seen so far. */
  lines(): Record<string, unknown>[];
  /** Waits (up to 10 s) for a log line matching `pred`. */
  waitFor(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Sends a signal and returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/**
 * Starts `deno run <runtimeFlags> main.ts <args>` (the start task's flags by
 * default) and waits until /health answers. `args` must contain
 * `-listen=127.0.0.1:<port>`. `launcher` is a command to start it through.
 */
export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  runtimeFlags: string[] = START_FLAGS,
  launcher: string[] = [],
): Promise<ServerProcess> {
  const listen = args.find((a) => a.startsWith("-listen="))?.slice(8);
  if (!listen) throw new Error("spawnServer needs -listen=host:port");
  // A launcher (e.g. `prlimit --nofile=256`) runs the server as its last arguments.
  const command = [...launcher, Deno.execPath(), "run", ...runtimeFlags, MAIN, ...args];
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const seen: Record<string, unknown>[] = [];
  let stderr = "";
  (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          seen.push(JSON.parse(line));
        } catch {
          seen.push({ raw: line });
        }
      }
    }
  })();
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const url = `http://${listen}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/health`);
      await r.body?.cancel();
      if (r.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const waitFor = async (pred: (l: Record<string, unknown>) => boolean) => {
    const until = Date.now() + 10_000;
    for (;;) {
      const found = seen.find(pred);
      if (found) return found;
      if (Date.now() > until) throw new Error("log line not seen");
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  // The first server answers /health while the other threads start: up is when it says so.
  await waitFor((l) => l.msg === "geckos3 started");
  // Let the start-up warnings that follow flush.
  await new Promise((r) => setTimeout(r, 50));
  return {
    url,
    child,
    lines: () => seen,
    waitFor,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      const status = await child.status;
      await new Promise((r) => setTimeout(r, 20));
      return status.code;
    },
  };
}

/** A server with auth off on `dataDir` at a free loopback port, with `flags` added. */
export async function spawnOn(dataDir: string, flags: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  return await spawnServer([
    `-data-dir=${dataDir}`,
    `-listen=127.0.0.1:${port}`,
    "-auth=false",
    ...flags,
  ]);
}

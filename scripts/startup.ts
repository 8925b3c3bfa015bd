/**
 * Start-up and idle footprint: from process start to the first 200 of
 * `/health`, and the resident memory a second after that, for geckos3 (the
 * start task's command, with -workers 1 and 2) and, given its binary, the Go
 * original; medians of `--runs` (7) starts on fresh data dirs.
 *
 *   deno run --allow-all scripts/startup.ts [--runs 7] [--peer-go PATH] [--json]
 */
import { parseArgs } from "node:util";
import { runtimeFlags } from "./release.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface Measure {
  server: string;
  startMs: number[];
  rssMiB: number[];
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** VmRSS of a process in MiB (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function once(command: string[]): Promise<{ ms: number; rss: number }> {
  const dir = await Deno.makeTempDir({ prefix: "geckos3-startup-" });
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(command[0], {
    args: [...command.slice(1), `-data-dir=${dir}`, `-listen=127.0.0.1:${port}`, "-auth=false"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let ms = NaN;
    for (let i = 0; i < 20_000; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`);
        await r.body?.cancel();
        if (r.status === 200) {
          ms = performance.now() - started;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 1000));
    return { ms, rss: await rssMiB(child.pid) };
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "7" },
      "peer-go": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const deno = [Deno.execPath(), "run", ...runtimeFlags(), `${ROOT}main.ts`];
  const servers: [string, string[]][] = [
    ["geckos3 -workers 1", [...deno, "-workers=1"]],
    ["geckos3 -workers 2", [...deno, "-workers=2"]],
  ];
  if (values["peer-go"]) servers.push(["original (Go)", [values["peer-go"]]]);
  const results: Measure[] = [];
  for (const [server] of servers) results.push({ server, startMs: [], rssMiB: [] });
  // Alternating the servers run by run, so a slow minute of the machine falls on all of them.
  for (let run = 0; run < Number(values.runs); run++) {
    for (let i = 0; i < servers.length; i++) {
      const m = await once(servers[i][1]);
      results[i].startMs.push(m.ms);
      results[i].rssMiB.push(m.rss);
    }
  }
  if (values.json) console.log(JSON.stringify(results));
  else {
    console.log("server               first /health ms (median, min-max)   idle RSS MiB (median)");
    for (const r of results) {
      const lo = Math.min(...r.startMs).toFixed(0);
      const hi = Math.max(...r.startMs).toFixed(0);
      console.log(
        `${r.server.padEnd(20)} ${median(r.startMs).toFixed(0).padStart(6)} (${lo}-${hi})` +
          `${"".padEnd(22)}${median(r.rssMiB).toFixed(1).padStart(6)}`,
      );
    }
  }
}

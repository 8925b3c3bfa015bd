/** Waiting for servers, and what the kernel says of a process and the machine around a measurement. */
import type { Bench } from "./context.ts";
import type { Endpoint, Result } from "./types.ts";

/** Clock ticks per second on Linux. */
const TICK = 100;

/** A loopback port free now. */
export function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return Promise.resolve(port);
}

/** Resolves once `url` + `path` answers below 500 (20 s at most). */
export async function waitHealthy(url: string, path = "/health"): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      const r = await fetch(url + path);
      await r.body?.cancel();
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/**
 * The machine's CPU ticks so far, all cores: the total, and those the
 * hypervisor took (steal, /proc/stat's eighth field); null off Linux.
 */
function machineTicks(): { total: number; steal: number } | null {
  try {
    const cpu = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0].split(/\s+/).slice(1, 9)
      .map(Number);
    return { total: cpu.reduce((a, b) => a + b, 0), steal: cpu[7] };
  } catch {
    return null;
  }
}

function resetPeakRss(pid: number): void {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // not permitted: peak is then since process start
  }
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Measures a scenario's server cost around `fn`. */
export async function measured(
  b: Bench,
  ep: Endpoint,
  fn: () => Promise<
    Omit<
      Result,
      "endpoint" | "serverCpuUsPerOp" | "serverPeakRssMiB" | "scenario" | "stealPercent"
    >
  >,
  scenario: string,
): Promise<Result> {
  b.progress(`${ep.name}: ${scenario} ...`);
  if (ep.pid) resetPeakRss(ep.pid);
  const before = ep.pid ? cpuTicks(ep.pid) : 0;
  const machineBefore = machineTicks();
  const r = await fn();
  const cpu = ep.pid ? (cpuTicks(ep.pid) - before) / TICK : null;
  const machineAfter = machineTicks();
  const elapsed = machineBefore && machineAfter ? machineAfter.total - machineBefore.total : 0;
  return {
    endpoint: ep.name,
    scenario,
    ...r,
    serverCpuUsPerOp: cpu !== null && r.ops > 0 ? (cpu / r.ops) * 1e6 : null,
    serverPeakRssMiB: ep.pid ? peakRssMiB(ep.pid) : null,
    stealPercent: elapsed > 0
      ? (100 * (machineAfter!.steal - machineBefore!.steal)) / elapsed
      : null,
  };
}

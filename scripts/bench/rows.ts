/** Result rows made from what a load generator or a series of timed requests measured. */
import type { Bench } from "./context.ts";
import type { LoadRun } from "./drivers.ts";
import type { Result } from "./types.ts";

/** What `measured` adds to a row itself. */
type Measured = Omit<
  Result,
  "endpoint" | "serverCpuUsPerOp" | "serverPeakRssMiB" | "scenario" | "stealPercent"
>;

/** A row from a load generator's run; `bytesPerOp` is what each operation moved. */
export function loadRow(r: LoadRun, bytesPerOp: number): Measured {
  return {
    ops: r.ops,
    seconds: r.seconds,
    opsPerSec: r.ops / r.seconds,
    mbPerSec: (r.ops * bytesPerOp) / r.seconds / 1e6,
    p50ms: r.p50,
    p99ms: r.p99,
    errors: r.errors,
    loadCpuSec: r.cpu,
  };
}

/**
 * A row from `GET url` sent `times` times in a row (listing pages; seven by
 * default): p50 is the median latency. `check` sees each body and may throw.
 */
export async function timedGets(
  b: Bench,
  url: string,
  opts: { check?: (body: string) => void; times?: number } = {},
): Promise<Measured> {
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < (opts.times ?? 7); i++) {
    const p0 = performance.now();
    const body = await (await b.request("GET", url)).text();
    latencies.push(performance.now() - p0);
    opts.check?.(body);
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((x, y) => x - y);
  return {
    ops: latencies.length,
    seconds,
    opsPerSec: latencies.length / seconds,
    mbPerSec: 0,
    p50ms: latencies[Math.floor(latencies.length / 2)],
    p99ms: latencies[latencies.length - 1],
    errors: 0,
    loadCpuSec: null,
  };
}

/** The report: sizes for people, and the results table. */
import type { Result } from "./types.ts";

/** A byte count in B, KiB, MiB or GiB. */
export function fmtSize(n: number): string {
  if (n >= 1024 ** 3) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2) return `${n / 1024 ** 2} MiB`;
  if (n >= 1024) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** The results as an aligned text table. */
export function table(results: Result[]): string {
  const head = [
    "endpoint",
    "scenario",
    "ops/s",
    "MB/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "srv CPU µs/op",
    "srv peak RSS MiB",
    "loadgen CPU s",
    "steal %",
  ];
  const f = (n: number | null, d = 1) => (n === null || Number.isNaN(n) ? "-" : n.toFixed(d));
  const rows = results.map((r) => [
    r.endpoint,
    r.scenario,
    f(r.opsPerSec, r.opsPerSec < 10 ? 2 : 0),
    f(r.mbPerSec),
    f(r.p50ms, 2),
    f(r.p99ms, 2),
    String(r.errors),
    f(r.serverCpuUsPerOp, 0),
    f(r.serverPeakRssMiB, 0),
    f(r.loadCpuSec, 2),
    f(r.stealPercent),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

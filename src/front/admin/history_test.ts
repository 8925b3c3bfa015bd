/** The dashboard's hour: steps of several servers added up, percentiles from the buckets. */
import { assertEquals } from "../../../tests/support/assert.ts";
import { historyPoints, MetricsHistory, STEP_MS, STEPS } from "./history.ts";

Deno.test("history adds up servers by step and reads percentiles from the buckets", () => {
  const now = 1_700_000_000_000 - (1_700_000_000_000 % STEP_MS) + 5_000;
  const a = new MetricsHistory();
  const b = new MetricsHistory();
  for (let i = 0; i < 98; i++) {
    a.record({ status: 200, seconds: 0.0008, bytesIn: 1, bytesOut: 2 }, now);
  }
  a.record({ status: 404, seconds: 0.004, bytesIn: 0, bytesOut: 0 }, now);
  b.record({ status: 503, seconds: 3, bytesIn: 0, bytesOut: 10 }, now);
  // An older step, and one older than the hour, which is left out.
  a.record({ status: 200, seconds: 0.03, bytesIn: 0, bytesOut: 0 }, now - 2 * STEP_MS);
  b.record({ status: 200, seconds: 0.03, bytesIn: 0, bytesOut: 0 }, now - (STEPS + 3) * STEP_MS);
  const points = historyPoints([a.steps(now), b.steps(now)], now);
  assertEquals(points.length, STEPS);
  const last = points.at(-1)!;
  assertEquals(
    [last.requests, last.clientErrors, last.serverErrors, last.bytesIn, last.bytesOut],
    [100, 1, 1, 98, 206],
  );
  assertEquals([last.p50, last.p90, last.p99], [1, 1, 5]);
  assertEquals(points.at(-3)!.p50, 50);
  assertEquals(points.reduce((n, p) => n + p.requests, 0), 101);
});

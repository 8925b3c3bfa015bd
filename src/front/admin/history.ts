/**
 * The last hour of a server's request metrics, in 10-second steps, kept in
 * memory for the console's dashboard: requests, client and server errors,
 * bytes in and out, and a latency histogram per step (merged across a
 * pool's servers, then read as percentiles).
 */

/** Length of one step. */
export const STEP_MS = 10_000;
/** Steps kept: one hour. */
export const STEPS = 360;
/** Upper bounds (seconds) of the latency histogram's buckets; one more bucket holds the rest. */
export const LATENCY_BOUNDS_S = [
  0.0005,
  0.001,
  0.002,
  0.005,
  0.01,
  0.02,
  0.05,
  0.1,
  0.2,
  0.5,
  1,
  2,
  5,
  10,
];

/** One step of one server, as plain data (sent between a pool's servers). */
export interface HistoryStep {
  /** Start of the step (ms since the epoch, a multiple of STEP_MS). */
  t: number;
  requests: number;
  clientErrors: number;
  serverErrors: number;
  bytesIn: number;
  bytesOut: number;
  /** Requests per latency bucket (LATENCY_BOUNDS_S, then the rest). */
  latency: number[];
}

/** One step as the dashboard draws it: the counts, and latency percentiles in place of the histogram. */
export interface HistoryPoint extends Omit<HistoryStep, "latency"> {
  /** Latency percentiles in milliseconds (the bucket bound the percentile falls in); 0 without requests. */
  p50: number;
  p90: number;
  p99: number;
}

/** A ring of the last STEPS steps of one server. */
export class MetricsHistory {
  #steps: HistoryStep[] = [];

  /** Records one finished request at `now`. */
  record(
    r: { status: number; seconds: number; bytesIn: number; bytesOut: number },
    now = Date.now(),
  ): void {
    const step = this.#stepAt(now);
    step.requests++;
    if (r.status >= 500) step.serverErrors++;
    else if (r.status >= 400) step.clientErrors++;
    if (r.bytesIn > 0) step.bytesIn += r.bytesIn;
    if (r.bytesOut > 0) step.bytesOut += r.bytesOut;
    let i = 0;
    while (i < LATENCY_BOUNDS_S.length && r.seconds > LATENCY_BOUNDS_S[i]) i++;
    step.latency[i]++;
  }

  /** The steps of the last hour before `now`, oldest first. */
  steps(now = Date.now()): HistoryStep[] {
    const from = now - STEPS * STEP_MS;
    return this.#steps.filter((s) => s.t > from);
  }

  #stepAt(now: number): HistoryStep {
    const t = now - now % STEP_MS;
    const last = this.#steps.at(-1);
    if (last && last.t === t) return last;
    const step: HistoryStep = {
      t,
      requests: 0,
      clientErrors: 0,
      serverErrors: 0,
      bytesIn: 0,
      bytesOut: 0,
      latency: new Array(LATENCY_BOUNDS_S.length + 1).fill(0),
    };
    this.#steps.push(step);
    if (this.#steps.length > STEPS) this.#steps.shift();
    return step;
  }
}

/**
 * The hour before `now` as points, one per step (steps without requests
 * too), adding up the steps of several servers.
 */
export function historyPoints(lists: readonly HistoryStep[][], now = Date.now()): HistoryPoint[] {
  const byT = new Map<number, HistoryStep>();
  for (const list of lists) {
    for (const s of list) {
      const sum = byT.get(s.t);
      if (!sum) {
        byT.set(s.t, { ...s, latency: [...s.latency] });
        continue;
      }
      sum.requests += s.requests;
      sum.clientErrors += s.clientErrors;
      sum.serverErrors += s.serverErrors;
      sum.bytesIn += s.bytesIn;
      sum.bytesOut += s.bytesOut;
      s.latency.forEach((n, i) => sum.latency[i] += n);
    }
  }
  const last = now - now % STEP_MS;
  const points: HistoryPoint[] = [];
  for (let t = last - (STEPS - 1) * STEP_MS; t <= last; t += STEP_MS) {
    const s = byT.get(t);
    points.push({
      t,
      requests: s?.requests ?? 0,
      clientErrors: s?.clientErrors ?? 0,
      serverErrors: s?.serverErrors ?? 0,
      bytesIn: s?.bytesIn ?? 0,
      bytesOut: s?.bytesOut ?? 0,
      p50: s ? percentile(s.latency, 0.5) : 0,
      p90: s ? percentile(s.latency, 0.9) : 0,
      p99: s ? percentile(s.latency, 0.99) : 0,
    });
  }
  return points;
}

/** The upper bound (ms) of the bucket holding the `q` quantile of a histogram. */
function percentile(counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.ceil(total * q);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) {
      const bound = LATENCY_BOUNDS_S[i] ?? LATENCY_BOUNDS_S.at(-1)! * 2;
      return bound * 1000;
    }
  }
  return LATENCY_BOUNDS_S.at(-1)! * 2000;
}

/**
 * Side-by-side ratios for the benchmark's summary: for every scenario that
 * geckos3 and another endpoint both ran, geckos3's ops/s over the other's,
 * one figure per `--repeat` round (rounds pair up by their `#n` suffix) and
 * their median. Rounds measured next to each other cancel most of a noisy
 * machine's drift; the median keeps one bad window from deciding the result.
 */

/** The fields of a benchmark result that a ratio needs. */
export interface RatedResult {
  endpoint: string;
  scenario: string;
  opsPerSec: number;
}

/** geckos3 against one other endpoint on one scenario. */
export interface Ratio {
  scenario: string;
  endpoint: string;
  versus: string;
  /** One per round both ran, in round order. */
  rounds: number[];
  median: number;
}

/** The scenario without its round suffix, and the round (1 without a suffix). */
function splitRound(scenario: string): { base: string; round: number } {
  const m = / #(\d+)$/.exec(scenario);
  return m
    ? { base: scenario.slice(0, m.index), round: Number(m[1]) }
    : { base: scenario, round: 1 };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Every ratio of an endpoint `isOurs` accepts to one it does not, per
 * scenario, in the order the scenarios first appear. Results without a rate
 * (a failed or empty run) are left out.
 */
export function ratios(
  results: readonly RatedResult[],
  isOurs: (endpoint: string) => boolean,
): Ratio[] {
  const rates = new Map<string, Map<string, Map<number, number>>>(); // scenario → endpoint → round
  for (const r of results) {
    if (!(r.opsPerSec > 0)) continue;
    const { base, round } = splitRound(r.scenario);
    let byEndpoint = rates.get(base);
    if (!byEndpoint) rates.set(base, byEndpoint = new Map());
    let byRound = byEndpoint.get(r.endpoint);
    if (!byRound) byEndpoint.set(r.endpoint, byRound = new Map());
    byRound.set(round, r.opsPerSec);
  }
  const out: Ratio[] = [];
  for (const [scenario, byEndpoint] of rates) {
    for (const [endpoint, ours] of byEndpoint) {
      if (!isOurs(endpoint)) continue;
      for (const [versus, theirs] of byEndpoint) {
        if (isOurs(versus)) continue;
        const rounds = [...ours.keys()].sort((a, b) => a - b)
          .filter((n) => theirs.has(n))
          .map((n) => ours.get(n)! / theirs.get(n)!);
        if (rounds.length > 0) {
          out.push({ scenario, endpoint, versus, rounds, median: median(rounds) });
        }
      }
    }
  }
  return out;
}

/** One line per ratio, e.g. `PUT 4 KiB  geckos3 / s3rver  4.1 3.9 3.1  median 3.9x`. */
export function formatRatios(list: readonly Ratio[]): string {
  const rows = list.map((r) => [
    r.scenario,
    `${r.endpoint} / ${r.versus}`,
    r.rounds.map((x) => x.toFixed(2)).join(" "),
    `median ${r.median.toFixed(2)}x`,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  ")).join(
    "\n",
  );
}

/**
 * Lifecycle scanning's cost to requests: signed or plain 4 KiB GETs while
 * the scanner walks a bucket of 100,000 objects over and over (a rule that
 * matches every key and expires nothing for years, with a one-second
 * lifecycle day: a pass every 250 ms), beside the same GETs with no rule,
 * round by round. geckos3 started here only.
 */
import { type Bench, pool } from "./context.ts";
import { luaFor, runWrk } from "./drivers.ts";
import { fillListing } from "./listing.ts";
import { fmtSize } from "./report.ts";
import { loadRow } from "./rows.ts";
import { measured } from "./system.ts";
import type { Endpoint, Result } from "./types.ts";

/** The lifecycle day geckos3 is started with for this scenario. */
export const BENCH_LIFECYCLE_DAY = "1s";

const RULE = "<LifecycleConfiguration><Rule><ID>scan-only</ID><Status>Enabled</Status>" +
  "<Filter><Prefix></Prefix></Filter><Expiration><Days>100000</Days></Expiration></Rule>" +
  "</LifecycleConfiguration>";

/** GET rounds without, then with, a rule over a bucket of `keys` objects. */
export async function lifecycleScan(
  b: Bench,
  ep: Endpoint,
  size: number,
  keys: number,
): Promise<Result[]> {
  const scanned = "bench-lifecycle";
  await fillListing(b, ep, scanned, keys);
  const bucket = "bench-lifecycle-get";
  await b.request("PUT", `${ep.url}/${bucket}`);
  const payload = new Uint8Array(size).map((_, i) => (i * 13) & 255);
  await pool([...Array(1000).keys()], 16, async (i) => {
    await (await b.request("PUT", `${ep.url}/${bucket}/obj-${i}`, payload)).body?.cancel();
  });
  const results: Result[] = [];
  for (b.round = 1; b.round <= b.repeat; b.round++) {
    for (const scanning of [false, true]) {
      if (scanning) {
        await b.request("PUT", `${ep.url}/${scanned}?lifecycle`, RULE);
        await new Promise((r) => setTimeout(r, 500)); // the scanner's next pass has begun
      }
      const row = await measured(
        b,
        ep,
        async () =>
          loadRow(
            await runWrk(b, ep.url, luaFor(b, "GET", ep.url, bucket, 1000, "/dev/null")),
            size,
          ),
        `GET ${fmtSize(size)} ${
          scanning ? `while ${keys} objects are scanned` : "no lifecycle rule"
        }`,
      );
      results.push(...b.inRound([row]));
      if (scanning) {
        await (await b.request("DELETE", `${ep.url}/${scanned}?lifecycle`)).body?.cancel();
      }
    }
  }
  const pairs: string[] = [];
  for (let i = 0; i + 1 < results.length; i += 2) {
    const [plain, scan] = [results[i], results[i + 1]];
    pairs.push(
      `${(scan.opsPerSec / plain.opsPerSec).toFixed(2)}x ops, p99 ${plain.p99ms?.toFixed(1)} -> ${
        scan.p99ms?.toFixed(1)
      } ms`,
    );
  }
  b.notes.push(
    `${ep.name}: GET while lifecycle scans ${keys} objects, over no rule: ${pairs.join("; ")}`,
  );
  return results;
}

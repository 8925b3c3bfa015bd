/** Listing pages of a large bucket: first, middle, last, and rolled up by a delimiter. */
import { type Bench, pool } from "./context.ts";
import { measured } from "./system.ts";
import { timedGets } from "./rows.ts";
import type { Endpoint, Result } from "./types.ts";

/** The listing keys: folders of 1,000 keys each (200 folders for the default 200,000 keys). */
function listingKey(i: number): string {
  return `folder-${String(Math.floor(i / 1000)).padStart(3, "0")}/key-${
    String(i).padStart(7, "0")
  }`;
}

/**
 * Fills the listing bucket: through the server (PUTs) for small counts or
 * peers, directly as files in the data dir of the geckos3 we started for
 * large ones (objects placed by hand are valid objects, without sidecars).
 */
export async function fillListing(
  b: Bench,
  ep: Endpoint,
  bucket: string,
  keys: number,
): Promise<void> {
  await b.request("PUT", `${ep.url}/${bucket}`);
  // The Go original fails listings of files placed by hand (500): it is always filled through itself.
  const direct = ep.name.startsWith("geckos3") && (b.args["listing-fill"] === "direct" ||
    (b.args["listing-fill"] === "auto" && keys > 20_000));
  if (ep.dataDir && direct) {
    const made = new Set<string>();
    for (let i = 0; i < keys; i++) {
      const key = listingKey(i);
      const dir = `${ep.dataDir}/${bucket}/${key.slice(0, key.lastIndexOf("/"))}`;
      if (!made.has(dir)) {
        Deno.mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      Deno.writeFileSync(`${ep.dataDir}/${bucket}/${key}`, new Uint8Array(0));
      if (i % 50_000 === 0) b.progress(`${ep.name}: listing: ${i}/${keys} files created`);
    }
    return;
  }
  let done = 0;
  await pool([...Array(keys).keys()], 32, async (i) => {
    await (await b.request("PUT", `${ep.url}/${bucket}/${listingKey(i)}`, "")).body?.cancel();
    if (++done % 1000 === 0) b.progress(`${ep.name}: listing: ${done}/${keys} objects written`);
  });
}

/**
 * Pages of a bucket of `keys` objects (the first request of the first page
 * on its own: the server has listed nothing yet; then first, middle, last
 * and rolled-up pages, median of five each), then how long other clients
 * wait while one lists a huge directory or thousands of empty folders.
 */
export async function listing(b: Bench, ep: Endpoint, keys: number): Promise<Result[]> {
  const bucket = "bench-listing";
  await fillListing(b, ep, bucket, keys);
  // A bucket being written is re-read on every listing (directories changed in the last 2 s are
  // never cached); measure the bucket at rest.
  await new Promise((r) => setTimeout(r, 3000));
  const sorted = Array.from({ length: keys }, (_, i) => listingKey(i)).sort();
  const folder = listingKey(Math.floor(keys / 2)).split("/")[0] + "/";
  const pages: [string, string][] = [
    ["first page", ""],
    [
      "middle page (start-after)",
      `&start-after=${encodeURIComponent(sorted[Math.floor(keys / 2)])}`,
    ],
    ["last page (start-after)", `&start-after=${encodeURIComponent(sorted[keys - 500])}`],
    ["top level, delimiter /", "&delimiter=%2F"],
    [`prefix ${folder}, delimiter /`, `&prefix=${encodeURIComponent(folder)}&delimiter=%2F`],
  ];
  const results: Result[] = [];
  const url = (query: string) => `${ep.url}/${bucket}?list-type=2${query}`;
  results.push(
    await measured(
      b,
      ep,
      () => timedGets(b, url(""), { times: 1 }),
      `LIST ${keys} keys: first request (cold)`,
    ),
  );
  for (const [label, query] of pages) {
    results.push(
      await measured(
        b,
        ep,
        () => timedGets(b, url(query), { times: 5 }),
        `LIST ${keys} keys: ${label}`,
      ),
    );
  }
  // Placed by hand (see fillListing), so geckos3 only.
  if (ep.dataDir && ep.name.startsWith("geckos3")) results.push(...await stalls(b, ep, keys));
  return results;
}

/**
 * Other clients' waits while one client lists (five times, the first cold) a
 * directory of `keys` entries, then a bucket of 30,000 empty folders (300 of
 * 100), both placed by hand: a client of its own process GETs a 4 KiB object
 * meanwhile, one request after another. Rows: the listing (p50 its median,
 * p99 its slowest: the cold one), and the other client's GETs (p99: the
 * longest wait).
 */
async function stalls(b: Bench, ep: Endpoint, keys: number): Promise<Result[]> {
  await b.request("PUT", `${ep.url}/bench-probe`);
  await b.request("PUT", `${ep.url}/bench-probe/k`, new Uint8Array(4096));
  const flat = `${ep.dataDir}/bench-flat`;
  await b.request("PUT", `${ep.url}/bench-flat`);
  for (let i = 0; i < keys; i++) {
    Deno.writeFileSync(`${flat}/key-${String(i).padStart(7, "0")}`, new Uint8Array(0));
    if (i % 50_000 === 0) b.progress(`${ep.name}: stalls: ${i}/${keys} files created`);
  }
  await b.request("PUT", `${ep.url}/bench-empty-folders`);
  for (let i = 0; i < 300; i++) {
    for (let j = 0; j < 100; j++) {
      Deno.mkdirSync(`${ep.dataDir}/bench-empty-folders/d${i}/s${j}`, { recursive: true });
    }
  }
  await new Promise((r) => setTimeout(r, 3000)); // at rest, as above
  const results: Result[] = [];
  const cases: [string, string][] = [
    [`a directory of ${keys} entries`, "bench-flat?list-type=2"],
    ["30,000 empty folders", "bench-empty-folders?list-type=2"],
    ["30,000 empty folders, delimiter /", "bench-empty-folders?list-type=2&delimiter=%2F"],
  ];
  for (const [label, query] of cases) {
    const probeUrl = b.authorized("GET", `${ep.url}/bench-probe/k`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", new URL("./probe.ts", import.meta.url).pathname, probeUrl],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const output = new Response(child.stdout).text();
    const input = child.stdin.getWriter(); // held open until the listing is done
    try {
      await new Promise((r) => setTimeout(r, 300)); // the probe is up and sending
      results.push(
        await measured(
          b,
          ep,
          () => timedGets(b, `${ep.url}/${query}`, { times: 5 }),
          `LIST ${label}`,
        ),
      );
    } finally {
      await input.close().catch(() => {});
      await child.status;
    }
    const waits: number[] = JSON.parse(await output);
    results.push(probeRow(ep, `others' GETs while LIST ${label} (p99: longest)`, waits));
  }
  return results;
}

/** A row of the other client's GETs: p50 their median, p99 the longest. */
function probeRow(ep: Endpoint, scenario: string, waits: number[]): Result {
  const sorted = [...waits].sort((x, y) => x - y);
  const seconds = waits.reduce((a, w) => a + w, 0) / 1000;
  return {
    endpoint: ep.name,
    scenario,
    ops: waits.length,
    seconds,
    opsPerSec: seconds > 0 ? waits.length / seconds : 0,
    mbPerSec: 0,
    p50ms: sorted[Math.floor(sorted.length / 2)] ?? null,
    p99ms: sorted[sorted.length - 1] ?? null,
    errors: 0,
    serverCpuUsPerOp: null,
    serverPeakRssMiB: null,
    loadCpuSec: null,
    stealPercent: null,
  };
}

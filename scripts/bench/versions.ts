/**
 * Versioning: PutObject of small objects into a versioned bucket beside an
 * unversioned one (each overwrite there keeps the old version), and pages
 * of ListObjectVersions from one key with 10,000 versions. geckos3 only: the
 * peers have no versioning.
 */
import { type Bench, pool } from "./context.ts";
import { luaFor, runWrk } from "./drivers.ts";
import { fmtSize } from "./report.ts";
import { measured } from "./system.ts";
import { loadRow, timedGets } from "./rows.ts";
import type { Endpoint, Result } from "./types.ts";

/** Versions of the one key whose listing is measured. */
const HOT_VERSIONS = 10_000;
const ENABLE = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";

/** PUT rounds into an unversioned and a versioned bucket, alternating, then listing pages. */
export async function versions(b: Bench, ep: Endpoint, size: number): Promise<Result[]> {
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 255);
  const bodyFile = await Deno.makeTempFile();
  await Deno.writeFile(bodyFile, payload);
  const keys = 1000;
  const buckets = { unversioned: "bench-unversioned", versioned: "bench-versioned" };
  for (const [kind, bucket] of Object.entries(buckets)) {
    await b.request("PUT", `${ep.url}/${bucket}`);
    if (kind === "versioned") await b.request("PUT", `${ep.url}/${bucket}?versioning`, ENABLE);
    b.progress(`${ep.name}: versions: ${keys} objects in ${bucket}`);
    await pool([...Array(keys).keys()], 16, async (i) => {
      await (await b.request("PUT", `${ep.url}/${bucket}/obj-${i}`, payload)).body?.cancel();
    });
  }
  const results: Result[] = [];
  try {
    for (b.round = 1; b.round <= b.repeat; b.round++) {
      for (const [kind, bucket] of Object.entries(buckets)) {
        const row = await measured(
          b,
          ep,
          async () =>
            loadRow(
              await runWrk(b, ep.url, luaFor(b, "PUT", ep.url, bucket, keys, bodyFile)),
              size,
            ),
          `PUT ${fmtSize(size)} ${kind}`,
        );
        results.push(...b.inRound([row]));
      }
    }
  } finally {
    await Deno.remove(bodyFile);
  }
  note(b, ep, results);
  results.push(...await hotKeyPages(b, ep));
  return results;
}

/** The versioned/unversioned ops/s ratio of each round, as a note under the table. */
function note(b: Bench, ep: Endpoint, rows: Result[]): void {
  const ratios: number[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) {
    ratios.push(rows[i + 1].opsPerSec / rows[i].opsPerSec);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)];
  b.notes.push(
    `${ep.name}: PUT into a versioned bucket over an unversioned one: ${median.toFixed(2)}x` +
      ` (rounds ${ratios.map((r) => r.toFixed(2)).join(", ")}; target >= 0.80)`,
  );
}

/**
 * Pages of 1,000 from one key with HOT_VERSIONS versions: first, middle and
 * last. The key has a bucket of its own: in the PUT rounds' bucket, a listing
 * just after the writes also reads that bucket's 30,000 names afresh.
 */
async function hotKeyPages(b: Bench, ep: Endpoint): Promise<Result[]> {
  const bucket = "bench-versions-hot";
  await b.request("PUT", `${ep.url}/${bucket}`);
  await b.request("PUT", `${ep.url}/${bucket}?versioning`, ENABLE);
  let done = 0;
  await pool([...Array(HOT_VERSIONS).keys()], 8, async (i) => {
    await (await b.request("PUT", `${ep.url}/${bucket}/hot`, String(i))).body?.cancel();
    if (++done % 1000 === 0) b.progress(`${ep.name}: versions: ${done}/${HOT_VERSIONS} of hot`);
  });
  // The first page right after the writes: the versions directory is read afresh (a directory
  // changed in the last two seconds is never taken from memory). Then pages of it at rest.
  const cold = await measured(
    b,
    ep,
    () => timedGets(b, `${ep.url}/${bucket}?versions&prefix=hot`, { times: 1 }),
    `LIST VERSIONS 1000 of ${HOT_VERSIONS}: first page, just written`,
  );
  const results: Result[] = [cold];
  b.notes.push(
    `${ep.name}: ListObjectVersions first page of 1000 from ${HOT_VERSIONS} versions just written: ${
      cold.p50ms!.toFixed(1)
    } ms (one request)`,
  );
  // The version-id markers of each page, read by paging once.
  const markers: string[] = [""];
  for (let page = 0; page < HOT_VERSIONS / 1000 - 1; page++) {
    const query = markers[page] ? `&key-marker=hot&version-id-marker=${markers[page]}` : "";
    const xml = await (await b.request("GET", `${ep.url}/${bucket}?versions&prefix=hot${query}`))
      .text();
    markers.push(/<NextVersionIdMarker>([^<]+)</.exec(xml)?.[1] ?? "");
  }
  await new Promise((r) => setTimeout(r, 3000));
  const pages: [string, string][] = [
    ["first page", ""],
    ["middle page", markers[Math.floor(markers.length / 2)]],
    ["last page", markers[markers.length - 1]],
  ];
  for (const [label, marker] of pages) {
    const query = marker ? `&key-marker=hot&version-id-marker=${marker}` : "";
    const url = `${ep.url}/${bucket}?versions&prefix=hot${query}`;
    const row = await measured(
      b,
      ep,
      () =>
        timedGets(b, url, {
          check: (xml) => {
            const listed = xml.split("<Version>").length - 1;
            if (listed !== 1000) throw new Error(`a page of ${listed} versions, not 1000`);
          },
        }),
      `LIST VERSIONS 1000 of ${HOT_VERSIONS}: ${label}`,
    );
    results.push(row);
    b.notes.push(
      `${ep.name}: ListObjectVersions ${label} of 1000 from ${HOT_VERSIONS} versions: p50 ${
        row.p50ms!.toFixed(1)
      } ms at rest (target < 50 ms)`,
    );
  }
  return results;
}

/** Listing pages of a large bucket: first, middle, last, and rolled up by a delimiter. */
import { type Bench, pool } from "./context.ts";
import { measured } from "./system.ts";
import { timedGets } from "./rows.ts";
import type { Endpoint, Result } from "./types.ts";

/** The listing keys: nested prefixes, 100 top-level directories of 10 sub-directories. */
function listingKey(i: number): string {
  return `dir${String(i % 100).padStart(2, "0")}/sub${i % 10}/key-${String(i).padStart(7, "0")}`;
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
  const direct = b.args["listing-fill"] === "direct" ||
    (b.args["listing-fill"] === "auto" && keys > 20_000);
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

/** Pages of a bucket of `keys` objects (first, middle, last, rolled up), seven times each. */
export async function listing(b: Bench, ep: Endpoint, keys: number): Promise<Result[]> {
  const bucket = "bench-listing";
  await fillListing(b, ep, bucket, keys);
  // A bucket being written is re-read on every listing (directories changed in the last 2 s are
  // never cached); measure the bucket at rest.
  await new Promise((r) => setTimeout(r, 3000));
  const sorted = Array.from({ length: keys }, (_, i) => listingKey(i)).sort();
  const pages: [string, string][] = [
    ["first page", ""],
    [
      "middle page (start-after)",
      `&start-after=${encodeURIComponent(sorted[Math.floor(keys / 2)])}`,
    ],
    ["last page (start-after)", `&start-after=${encodeURIComponent(sorted[keys - 500])}`],
    ["top level, delimiter /", "&delimiter=%2F"],
    ["prefix dir42/sub2/, delimiter /", "&prefix=dir42%2Fsub2%2F&delimiter=%2F"],
  ];
  const results: Result[] = [];
  for (const [label, query] of pages) {
    results.push(
      await measured(
        b,
        ep,
        () => timedGets(b, `${ep.url}/${bucket}?list-type=2${query}`),
        `LIST ${keys} keys: ${label}`,
      ),
    );
  }
  return results;
}

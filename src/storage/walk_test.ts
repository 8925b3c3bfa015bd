import assert from "node:assert/strict";
import { encodeSegment } from "./keys.ts";
import { LARGE_DIR_BYTES, walkBucket, WalkCache, type WalkOptions } from "./walk.ts";
import { TimeSlice } from "./time_slice.ts";

/** S3's order, computed independently of compareKeys: by UTF-8 bytes. */
function byUtf8(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Keys whose UTF-16 order differs from their UTF-8 order, in files and in a folder. */
function keysOf(count: number): string[] {
  const marks = ["", "\u{1F600}", "\uE000", "\uFF21", "\u00E9", "~", "!"];
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `key-${marks[i % marks.length]}${String(i * 7919 % count).padStart(6, "0")}`;
    // Folders of several keys each, so a start can fall inside one.
    keys.push(i % 50 === 0 ? `dir-${i % 150}/inner-${marks[i % marks.length]}${i}` : name);
  }
  return keys;
}

async function listed(dir: string, cache: WalkCache, opts: Partial<WalkOptions>) {
  const out: string[] = [];
  const walk = walkBucket(dir, { prefix: "", delimiter: "", after: "", ...opts }, cache);
  for await (const item of walk) out.push(item.type === "object" ? item.key : item.prefix);
  return out;
}

for (const [size, count] of [["small", 300], ["large", 8000]] as const) {
  Deno.test(`walkBucket: a ${size} directory lists in S3 order from any start, cold and cached`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const keys = keysOf(count);
      for (const key of keys) {
        const segments = key.split("/").map((s) => encodeSegment(s));
        if (segments.length > 1) await Deno.mkdir(`${dir}/${segments[0]}`, { recursive: true });
        await Deno.writeFile(`${dir}/${segments.join("/")}`, new Uint8Array(0));
      }
      // Older than the two seconds within which a directory is never cached.
      const past = new Date(Date.now() - 10_000);
      await Deno.utime(dir, past, past);
      const large = (await Deno.stat(dir)).size > LARGE_DIR_BYTES;
      assert.equal(large, size === "large", `the ${size} case reads the ${size}-directory way`);
      const sorted = [...keys].sort(byUtf8);
      const cache = new WalkCache();
      for (const round of ["cold", "cached"]) {
        assert.deepEqual(await listed(dir, cache, {}), sorted, `${round}: everything`);
        const inFolder = sorted.findIndex((k, i) => k.includes("/") && sorted[i + 1].includes("/"));
        for (const at of [0, 1, inFolder, 49, 50, Math.floor(count / 2), count - 2, count - 1]) {
          assert.deepEqual(
            await listed(dir, cache, { after: sorted[at] }),
            sorted.slice(at + 1),
            `${round}: after ${sorted[at]}`,
          );
        }
        const inner = sorted.find((k) => k.includes("/"))!;
        const folder = inner.slice(0, inner.indexOf("/") + 1);
        assert.deepEqual(
          await listed(dir, cache, { after: folder }),
          sorted.filter((k) => byUtf8(k, folder) > 0),
          `${round}: after a folder's own prefix`,
        );
        for (const prefix of ["key-\u{1F600}", "key-\uE000", "dir-", "key-~00"]) {
          assert.deepEqual(
            await listed(dir, cache, { prefix }),
            sorted.filter((k) => k.startsWith(prefix)),
            `${round}: prefix ${prefix}`,
          );
        }
        const rolled = await listed(dir, cache, { delimiter: "/" });
        assert.deepEqual(
          rolled,
          [...new Set(sorted.map((k) => k.includes("/") ? k.slice(0, k.indexOf("/") + 1) : k))]
            .sort(byUtf8),
          `${round}: rolled up`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("WalkCache: listings that want a large directory at once share one read of it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 8000; i++) {
      await Deno.writeFile(`${dir}/key-${String(i).padStart(12, "0")}`, new Uint8Array(0));
    }
    assert((await Deno.stat(dir)).size > LARGE_DIR_BYTES, "large enough to be read in slices");
    const cache = new WalkCache();
    const slice = new TimeSlice();
    // Modified just now: never cached, so only sharing the read in flight makes these the same.
    const [a, b] = await Promise.all([
      cache.sortedItems(dir, true, slice),
      cache.sortedItems(dir, true, slice),
    ]);
    assert.equal(a.length, 8000);
    assert.equal(a, b, "one read, one result");
    const later = await cache.sortedItems(dir, true, slice);
    assert.notEqual(later, a, "a read after the first ended reads again (the directory is racy)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

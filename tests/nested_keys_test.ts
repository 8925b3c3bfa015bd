/**
 * Keys that are prefixes of each other (`a` and `a/b`) written and deleted
 * at once by many clients, against a server with two threads, in a plain
 * and in a versioned bucket (where every object has a sidecar). Deleting
 * `a/b` prunes directories `a` while `a` is being written in their place:
 * no request fails, and `a` never loses its metadata.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { spawnOn } from "./support/process.ts";

const ROUNDS = 120;
const CLIENTS = 6;

async function hammer(url: string, bucket: string): Promise<string[]> {
  const problems: string[] = [];
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < 5; i++) {
        const key = (c + i + round) % 2 === 0 ? "a" : "a/b";
        const put = (c * 3 + i + round) % 5 < 3;
        const r = await fetch(`${url}/${bucket}/${key}`, {
          method: put ? "PUT" : "DELETE",
          body: put ? "x".repeat(100) : undefined,
          headers: put ? { "x-amz-meta-n": String(++n) } : {},
        });
        await r.body?.cancel();
        if (r.status >= 300) problems.push(`${put ? "PUT" : "DELETE"} ${key}: ${r.status}`);
      }
    }));
    for (const key of ["a", "a/b"]) {
      const r = await fetch(`${url}/${bucket}/${key}`);
      await r.body?.cancel();
      if (r.status === 200 && r.headers.get("x-amz-meta-n") === null) {
        problems.push(`${key}: metadata lost (round ${round})`);
      }
    }
  }
  return problems;
}

Deno.test({
  name: "a and a/b written and deleted at once: no failure, no metadata lost",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-nested-" });
  const server = await spawnOn(dataDir, ["-workers=2"]);
  try {
    for (const bucket of ["nested-plain", "nested-versioned"]) {
      await (await fetch(`${server.url}/${bucket}`, { method: "PUT" })).body?.cancel();
      if (bucket === "nested-versioned") {
        const r = await fetch(`${server.url}/${bucket}?versioning`, {
          method: "PUT",
          body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
        });
        await r.body?.cancel();
        assertEquals(r.status, 200);
      }
      const problems = await hammer(server.url, bucket);
      assert(problems.length === 0, `${bucket}: ${problems.slice(0, 10).join("; ")}`);
    }
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

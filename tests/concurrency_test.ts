/**
 * Concurrency: many clients writing, overwriting, copying, deleting, reading
 * and listing the same few keys at once, against one server process, two
 * processes sharing one data dir, and one process with two server threads. Every GET must return bytes
 * whose MD5 is the ETag it was served with and whose metadata belongs to
 * the same version; listings never show a half-written object.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals } from "./support/assert.ts";
import { freePort, type ServerProcess, spawnServer } from "./support/process.ts";
import { listVersionsRaw } from "./support/versions.ts";

const CLIENTS = 32;
const OPS_PER_CLIENT = 150;
const KEYS = ["k1", "k2", "dir/k3"];

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

/** A version's bytes: its number, repeated, so the bytes name their version. */
function bytesOf(version: number): Uint8Array<ArrayBuffer> {
  const size = 1 + (version * 7919) % 200_000;
  const text = `v${version};`;
  return new TextEncoder().encode(text.repeat(Math.ceil(size / text.length)).slice(0, size));
}

/** Version ids of acknowledged PUTs into a versioned bucket, by key. */
const acknowledged = new Map<string, Set<string>>();

async function hammer(urls: string[]): Promise<{ gets: number; lists: number }> {
  let version = 0;
  let gets = 0;
  let lists = 0;
  const versionMd5 = new Map<string, number>(); // md5 -> version
  const failures: string[] = [];
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let n = 0; n < OPS_PER_CLIENT; n++) {
      const url = urls[(c + n) % urls.length];
      const key = KEYS[(c * 7 + n) % KEYS.length];
      const op = (c + n * 3) % 10;
      if (op < 3) {
        const v = ++version;
        const body = bytesOf(v);
        versionMd5.set(md5(body), v);
        const r = await fetch(`${url}/conc/${key}`, {
          method: "PUT",
          body,
          headers: { "x-amz-meta-version": String(v) },
        });
        const text = await r.text();
        if (r.status !== 200) failures.push(`PUT ${r.status} ${text}`);
        const id = r.headers.get("x-amz-version-id");
        if (id !== null) {
          if (!acknowledged.has(key)) acknowledged.set(key, new Set());
          acknowledged.get(key)!.add(id);
        }
      } else if (op < 4) {
        const src = KEYS[(c + n + 1) % KEYS.length];
        const r = await fetch(`${url}/conc/${key}`, {
          method: "PUT",
          headers: { "x-amz-copy-source": `/conc/${src}` },
        });
        await r.body?.cancel();
        if (r.status !== 200 && r.status !== 404) failures.push(`COPY ${r.status}`);
      } else if (op < 5) {
        const r = await fetch(`${url}/conc/${key}`, { method: "DELETE" });
        await r.body?.cancel();
        if (r.status !== 204) failures.push(`DELETE ${r.status}`);
      } else if (op < 9) {
        const r = await fetch(`${url}/conc/${key}`);
        const body = new Uint8Array(await r.arrayBuffer());
        if (r.status === 404) continue;
        gets++;
        const etag = r.headers.get("etag");
        const meta = r.headers.get("x-amz-meta-version");
        const sum = md5(body);
        if (etag !== `"${sum}"`) failures.push(`GET ${key}: ETag ${etag} but bytes ${sum}`);
        const text = new TextDecoder().decode(body.subarray(0, 12));
        if (meta === null || !text.startsWith(`v${meta};`)) {
          failures.push(`GET ${key}: metadata ${meta} on bytes ${text}`);
        }
      } else {
        const xml = await (await fetch(`${url}/conc?list-type=2`)).text();
        lists++;
        for (
          const m of xml.matchAll(
            /<Key>([^<]*)<\/Key>.*?<ETag>&quot;([0-9a-f]{32})&quot;<\/ETag><Size>(\d+)<\/Size>/g,
          )
        ) {
          const v = versionMd5.get(m[2]);
          if (v === undefined) failures.push(`LIST ${m[1]}: ETag ${m[2]} of no version`);
          else if (bytesOf(v).length !== Number(m[3])) {
            failures.push(`LIST ${m[1]}: size ${m[3]} is not version ${v}'s`);
          }
        }
      }
    }
  }));
  assertEquals(failures.slice(0, 10), []);
  return { gets, lists };
}

async function withServers(
  count: number,
  fn: (urls: string[], servers: ServerProcess[]) => Promise<void>,
  extraArgs: string[] = [],
  versioned = false,
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-conc-" });
  const servers = [];
  for (let i = 0; i < count; i++) {
    servers.push(
      await spawnServer([
        `-data-dir=${dataDir}`,
        `-listen=127.0.0.1:${await freePort()}`,
        "-auth=false",
        ...extraArgs,
      ]),
    );
  }
  try {
    // Every server thread is up (the first answers /health before the others listen).
    for (const s of servers) await s.waitFor((l) => l.msg === "geckos3 started");
    await (await fetch(`${servers[0].url}/conc`, { method: "PUT" })).body?.cancel();
    if (versioned) {
      const body = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
      await (await fetch(`${servers[0].url}/conc?versioning`, { method: "PUT", body })).body
        ?.cancel();
    }
    await fn(servers.map((s) => s.url), servers);
  } catch (e) {
    const errors = servers.flatMap((s) => s.lines()).filter((l) => l.level === "error").slice(0, 3);
    throw new Error(`${(e as Error).message}\nserver errors: ${JSON.stringify(errors)}`);
  } finally {
    for (const s of servers) await s.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test({
  name:
    `concurrency: ${CLIENTS} clients x ${OPS_PER_CLIENT} mixed ops on ${KEYS.length} keys, one process`,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await withServers(1, async (urls) => {
    const { gets, lists } = await hammer(urls);
    assert(gets > 500 && lists > 100, `${gets} gets, ${lists} lists`);
  });
});

Deno.test({
  name: `concurrency: two processes on one data dir keep the same invariants`,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await withServers(2, async (urls) => {
    const { gets } = await hammer(urls);
    assert(gets > 500);
  });
});

Deno.test({
  name: `concurrency: -workers=2 (two server threads, connections spread over both) too`,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await withServers(1, async (urls, [server]) => {
    const { gets } = await hammer(urls);
    assert(gets > 500);
    // Both threads served (request ids start with a prefix per server thread).
    const ids = server.lines().map((l) => String(l.request_id ?? "").slice(0, 8)).filter(Boolean);
    assertEquals(new Set(ids).size, 2);
  }, ["-workers=2"]);
});

/**
 * After a versioned hammer: both servers list the same versions; every
 * acknowledged write is one of them; each version reads back whole, its
 * ETag the MD5 of its bytes and its metadata naming them; one latest a key.
 */
async function checkVersions(urls: string[]): Promise<number> {
  const [a, b] = await Promise.all(urls.map((u) => listVersionsRaw(u, "conc", { pageSize: 100 })));
  assertEquals(a, b, "the two processes list different versions");
  for (const [key, ids] of acknowledged) {
    for (const id of ids) assert(a.some((v) => v.key === key && v.id === id), `${key} ${id} lost`);
  }
  for (const key of KEYS) {
    assert(a.filter((v) => v.key === key && v.latest).length <= 1, `${key}: several latest`);
  }
  for (const v of a.filter((v) => !v.marker)) {
    const r = await fetch(`${urls[1]}/conc/${v.key}?versionId=${v.id}`);
    const body = new Uint8Array(await r.arrayBuffer());
    assertEquals(r.status, 200, `${v.key} ${v.id}`);
    assertEquals(r.headers.get("etag"), `"${md5(body)}"`, `${v.key} ${v.id}: ETag`);
    const meta = r.headers.get("x-amz-meta-version");
    const text = new TextDecoder().decode(body.subarray(0, 12));
    assert(meta !== null && text.startsWith(`v${meta};`), `${v.key} ${v.id}: metadata ${meta}`);
  }
  return a.length;
}

Deno.test({
  name: `concurrency: two processes on one data dir, versioned bucket: same versions, none lost`,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await withServers(
    2,
    async (urls) => {
      const { gets } = await hammer(urls);
      assert(gets > 500);
      const versions = await checkVersions(urls);
      assert(versions > 500, `${versions} versions`);
    },
    [],
    true,
  );
});

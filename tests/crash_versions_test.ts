/**
 * Crash safety of versions: writes, delete markers and permanent deletes in
 * a versioned bucket are cut by SIGKILL at random moments, 50 times, on one
 * data dir. After each restart: every acknowledged version is there whole
 * with its metadata (unless a permanent delete was sent for it); every
 * version listed is one a client sent, whole; no version is listed twice;
 * each key has at most one latest version, and a plain GET answers it.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals } from "./support/assert.ts";
import { spawnOn } from "./support/process.ts";
import { pseudoRandomBytes } from "./support/bytes.ts";
import { listVersionsRaw } from "./support/versions.ts";

const KILLS = 50;
const KEYS = ["a", "a/b", "dir/x", "dir/y/z"];
const B = "crashv";

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

/**
 * MD5 of the bytes each write sent, by the write's number, and the number by
 * MD5. Odd writes send their number as x-amz-meta-n; even ones send bytes
 * alone (small ones are then kept without a metadata file, their version
 * ids derived from the file).
 */
const sentBytes = new Map<string, string>();
const writeOf = new Map<string, string>();
/** Versions whose write was acknowledged, by key: id -> write number. */
const acked = new Map<string, Map<string, string>>();
/** Versions a permanent delete was sent for (acknowledged or not: it may have happened). */
const removed = new Set<string>();

async function put(url: string, key: string, n: number, size: number): Promise<void> {
  const bytes = pseudoRandomBytes(size, n * 7919 + 13);
  sentBytes.set(String(n), md5(bytes));
  writeOf.set(md5(bytes), String(n));
  const r = await fetch(`${url}/${B}/${key}`, {
    method: "PUT",
    body: bytes,
    headers: n % 2 === 1 ? { "x-amz-meta-n": String(n) } : {},
  });
  await r.body?.cancel();
  const id = r.headers.get("x-amz-version-id");
  if (r.status !== 200 || !id) return;
  if (!acked.has(key)) acked.set(key, new Map());
  acked.get(key)!.set(id, String(n));
}

async function del(url: string, key: string, versionId?: string): Promise<void> {
  const q = versionId ? `?versionId=${versionId}` : "";
  if (versionId) removed.add(versionId);
  const r = await fetch(`${url}/${B}/${key}${q}`, { method: "DELETE" });
  await r.body?.cancel();
}

/** Checks every version after a restart; returns how many were checked. */
async function verify(url: string): Promise<number> {
  const listed = await listVersionsRaw(url, B, { pageSize: 7 });
  const seen = new Set<string>();
  for (const v of listed) {
    assert(KEYS.includes(v.key), `unexpected key ${v.key}`);
    assert(!seen.has(v.key + "\0" + v.id), `${v.key} ${v.id} listed twice`);
    seen.add(v.key + "\0" + v.id);
    if (v.marker) continue;
    const r = await fetch(`${url}/${B}/${v.key}?versionId=${v.id}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    assertEquals(r.status, 200, `${v.key} ${v.id}`);
    const n = r.headers.get("x-amz-meta-n") ?? writeOf.get(md5(bytes));
    assert(n !== undefined, `${v.key} ${v.id}: bytes no write sent`);
    if (Number(n) % 2 === 1) {
      assertEquals(r.headers.get("x-amz-meta-n"), n, `${v.key} ${v.id}: metadata lost`);
    }
    assertEquals(md5(bytes), sentBytes.get(n), `${v.key} ${v.id}: not the bytes of write ${n}`);
    assertEquals(r.headers.get("etag"), `"${sentBytes.get(n)}"`, `${v.key} ${v.id}: ETag`);
    const ackedAs = acked.get(v.key)?.get(v.id);
    if (ackedAs !== undefined) assertEquals(n, ackedAs, `${v.key} ${v.id}: another write's bytes`);
  }
  for (const [key, ids] of acked) {
    for (const id of ids.keys()) {
      if (removed.has(id)) continue;
      assert(seen.has(key + "\0" + id), `${key} ${id}: acknowledged version lost`);
    }
  }
  for (const key of KEYS) {
    const versions = listed.filter((v) => v.key === key);
    const latest = versions.filter((v) => v.latest);
    assert(latest.length <= 1, `${key}: ${latest.length} latest versions`);
    if (versions.length > 0) assertEquals(latest[0], versions[0], `${key}: the newest is latest`);
    const r = await fetch(`${url}/${B}/${key}`);
    await r.body?.cancel();
    if (latest.length === 0 || latest[0].marker) {
      assertEquals(r.status, 404, `${key}: deleted, yet GET answers`);
    } else {
      assertEquals(r.status, 200, key);
      assertEquals(r.headers.get("x-amz-version-id"), latest[0].id, `${key}: GET is not latest`);
    }
  }
  return listed.length;
}

Deno.test({
  name: `crash safety of versions: ${KILLS} SIGKILLs during versioned writes and deletes`,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-crashv-" });
  let n = 0;
  let checked = 0;
  let seed = 7;
  const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const pick = <T>(items: T[]) => items[Math.floor(rand() * items.length)];
  try {
    for (let round = 0; round < KILLS; round++) {
      const server = await spawnOn(dataDir, [`-fsync=${round % 2 === 1}`]);
      const url = server.url;
      if (round === 0) {
        const made = await fetch(`${url}/${B}`, { method: "PUT" });
        assertEquals(made.status, 200, `CreateBucket: ${await made.text()}`);
        const versioned = await fetch(`${url}/${B}?versioning`, {
          method: "PUT",
          body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
        });
        assertEquals(versioned.status, 200, `PutBucketVersioning: ${await versioned.text()}`);
      }
      // A bucket that is gone after a restart is a failure of its own (seen once, not understood).
      const head = await fetch(`${url}/${B}`, { method: "HEAD" });
      assertEquals(head.status, 200, `round ${round}: the bucket is gone after the restart`);
      checked += await verify(url);
      const work: Promise<void>[] = [];
      for (let c = 0; c < 5; c++) {
        work.push(
          (async () => {
            for (let i = 0; i < 20; i++) {
              const key = pick(KEYS);
              const dice = rand();
              if (dice < 0.7) await put(url, key, ++n, 1 + Math.floor(rand() * 32 * 1024));
              else if (dice < 0.85) await del(url, key);
              else {
                const ids = [...(acked.get(key)?.keys() ?? [])];
                if (ids.length > 0) await del(url, key, pick(ids));
              }
            }
          })().catch(() => {}),
        );
      }
      await new Promise((r) => setTimeout(r, 20 + rand() * 300));
      await server.stop("SIGKILL");
      await Promise.all(work);
    }
    const server = await spawnOn(dataDir);
    checked += await verify(server.url);
    await server.stop();
    assert(checked > KILLS * 5, `only ${checked} versions were checked`);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

/**
 * Crash safety: uploads (single and multipart, small and large) are cut by
 * SIGKILL at random moments, 50 times, on one data dir; after each restart
 * every key must be absent or exactly one complete version some client sent,
 * with that version's ETag and metadata, and no temp file, staged part or
 * sidecar may ever be visible as an object. Half the rounds run -fsync=true.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals } from "./support/assert.ts";
import { spawnOn } from "./support/process.ts";
import { pseudoRandomBytes } from "./support/bytes.ts";

const KILLS = 50;
const KEYS = ["a", "a/b", "dir/x", "dir/y/z", "mpu", "big"];
const MiB = 1024 * 1024;

/** Deterministic bytes of one version. */
function versionBytes(key: string, version: number, size: number): Uint8Array<ArrayBuffer> {
  return pseudoRandomBytes(size, version * 2654435761 + key.length * 97);
}

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

/** Every version ever sent, by key: version id -> MD5 of its bytes. */
const sent = new Map<string, Map<string, string>>();
function record(key: string, version: string, bytes: Uint8Array): void {
  if (!sent.has(key)) sent.set(key, new Map());
  sent.get(key)!.set(version, md5(bytes));
}

async function put(url: string, key: string, version: number, size: number): Promise<void> {
  const bytes = versionBytes(key, version, size);
  record(key, String(version), bytes);
  const r = await fetch(`${url}/crash/${key}`, {
    method: "PUT",
    body: bytes,
    headers: { "x-amz-meta-version": String(version) },
  });
  await r.body?.cancel();
}

async function multipart(url: string, key: string, version: number): Promise<void> {
  const parts = [versionBytes(key, version, 5 * MiB), versionBytes(key, version + 1, 100_000)];
  const whole = new Uint8Array(parts[0].length + parts[1].length);
  whole.set(parts[0]);
  whole.set(parts[1], parts[0].length);
  record(key, String(version), whole);
  const created = await (await fetch(`${url}/crash/${key}?uploads`, {
    method: "POST",
    headers: { "x-amz-meta-version": String(version) },
  }))
    .text();
  const id = /<UploadId>([^<]+)/.exec(created)?.[1];
  if (!id) return;
  const etags: string[] = [];
  for (const [i, p] of parts.entries()) {
    const r = await fetch(`${url}/crash/${key}?partNumber=${i + 1}&uploadId=${id}`, {
      method: "PUT",
      body: p,
    });
    etags.push(r.headers.get("etag") ?? "");
    await r.body?.cancel();
  }
  const xml = `<CompleteMultipartUpload>${
    etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")
  }</CompleteMultipartUpload>`;
  await (await fetch(`${url}/crash/${key}?uploadId=${id}`, { method: "POST", body: xml })).body
    ?.cancel();
}

/** Checks every object after a restart. Returns how many objects were checked. */
async function verify(url: string): Promise<number> {
  const list = await (await fetch(`${url}/crash?list-type=2`)).text();
  const keys = [...list.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  for (const key of keys) assert(KEYS.includes(key), `unexpected object listed: ${key}`);
  for (const key of keys) {
    const r = await fetch(`${url}/crash/${key}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    assertEquals(r.status, 200, key);
    const version = r.headers.get("x-amz-meta-version");
    const etag = r.headers.get("etag")!;
    assert(version !== null, `${key}: metadata lost`);
    const expected = sent.get(key)?.get(version);
    assert(expected, `${key}: version ${version} was never sent`);
    assertEquals(md5(bytes), expected, `${key}: bytes are not version ${version}`);
    if (!etag.includes("-")) assertEquals(etag, `"${expected}"`, `${key}: ETag of another version`);
  }
  return keys.length;
}

Deno.test({
  name: `crash safety: ${KILLS} SIGKILLs during single and multipart uploads, -fsync on and off`,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-crash-" });
  let version = 0;
  let checked = 0;
  let seed = 99;
  const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  try {
    for (let round = 0; round < KILLS; round++) {
      const server = await spawnOn(dataDir, [`-fsync=${round % 2 === 1}`]);
      checked += await verify(server.url);
      if (round === 0) await (await fetch(`${server.url}/crash`, { method: "PUT" })).body?.cancel();
      // No dead temp dirs survive a restart: only this process's own remain (one per server
      // thread, named <time>-<pid>-<random>).
      const tmp = await Array.fromAsync(Deno.readDir(`${dataDir}/.geckos3/tmp`));
      assert(
        tmp.every((e) => e.name.includes(`-${server.child.pid}-`)),
        `temp dirs of dead processes remain: ${tmp.map((e) => e.name)} (pid ${server.child.pid})`,
      );
      const work: Promise<void>[] = [];
      for (let c = 0; c < 6; c++) {
        work.push(
          (async () => {
            for (let n = 0; n < 20; n++) {
              const key = KEYS[Math.floor(rand() * 4)];
              await put(server.url, key, ++version, 1 + Math.floor(rand() * 256 * 1024));
            }
          })().catch(() => {}),
        );
      }
      work.push(multipart(server.url, "mpu", version += 2).catch(() => {}));
      if (round % 10 === 5) work.push(put(server.url, "big", ++version, 50 * MiB).catch(() => {}));
      await new Promise((r) => setTimeout(r, 30 + rand() * 400));
      await server.stop("SIGKILL");
      await Promise.all(work);
    }
    const server = await spawnOn(dataDir);
    checked += await verify(server.url);
    await server.stop();
    assert(checked > KILLS, `only ${checked} objects were checked`);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

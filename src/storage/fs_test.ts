/** The storage format's invariants, on a real temp directory. */
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { FsStorage } from "./fs.ts";
import type { ObjectReader } from "./types.ts";
import { parseSidecar } from "./sidecar.ts";
import { S3Error } from "../errors.ts";

const attrs = (contentType = "text/plain") => ({ contentType, headers: {}, userMeta: {} });
const body = (s: string) => new Blob([s]).stream() as ReadableStream<Uint8Array>;
/** The whole body of an open object, as text. */
const readAll = async (object: ObjectReader) => {
  const body = object.body();
  return new TextDecoder().decode(
    body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer()),
  );
};

async function withStore(
  fn: (s: FsStorage, dir: string) => Promise<void>,
  opts = { metadata: true, fsync: false },
) {
  const dir = await Deno.makeTempDir();
  const s = new FsStorage({ dataDir: dir, ...opts });
  await s.init();
  try {
    await fn(s, dir);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a sidecar keeps the entry of the bytes still in place, so a crash between renames loses nothing", async () => {
  await withStore(async (s, dir) => {
    await s.createBucket("bkt");
    const v1 = await s.putObject("bkt", "k", body("version one"), {
      attributes: attrs("text/one"),
    });
    // Simulate a writer that crashed after renaming its sidecar but before renaming its data:
    // write v2 normally, then put v1's bytes back under the same inode-less name by a copy.
    const sidecarPath = `${dir}/.geckos3/meta/bkt/k`;
    const before = parseSidecar(Deno.readTextFileSync(sidecarPath))!;
    assertEquals(before.entries.length, 1);
    const saved = Deno.readFileSync(`${dir}/bkt/k`);
    const savedLink = `${dir}/.geckos3/saved`;
    Deno.linkSync(`${dir}/bkt/k`, savedLink);
    await s.putObject("bkt", "k", body("version two!"), { attributes: attrs("text/two") });
    const after = parseSidecar(Deno.readTextFileSync(sidecarPath))!;
    assertEquals(after.entries.length, 2);
    // Put v1's very file (same inode, size, mtime) back: the reader must pair it with v1's metadata.
    Deno.renameSync(savedLink, `${dir}/bkt/k`);
    const opened = s.openObject("bkt", "k");
    const meta = opened.meta;
    assertEquals(await readAll(opened), new TextDecoder().decode(saved));
    assertEquals([meta.etag, meta.contentType], [v1.etag, "text/one"]);
  });
});

Deno.test("bytes with no matching sidecar entry never get another version's ETag", async () => {
  await withStore(async (s, dir) => {
    await s.createBucket("bkt");
    const v1 = await s.putObject("bkt", "k", body("abc"), { attributes: attrs() });
    // Replaced by hand: same size, new bytes, and (as any later write) a later modification time:
    // identities compare times to the millisecond, so one in the same millisecond is waited out.
    await new Promise((r) => setTimeout(r, 2));
    Deno.writeTextFileSync(`${dir}/bkt/k`, "xyz");
    const meta = s.headObject("bkt", "k");
    assert(meta.etag !== v1.etag);
    assertEquals(meta.contentType, "binary/octet-stream");
  });
});

Deno.test("a failed body leaves no temp file and the previous version intact", async () => {
  await withStore(async (s, dir) => {
    await s.createBucket("bkt");
    await s.putObject("bkt", "k", body("original"), { attributes: attrs() });
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(1000));
        c.error(new S3Error("IncompleteBody"));
      },
    });
    const err = await assertRejects(() =>
      s.putObject("bkt", "k", failing, { attributes: attrs() })
    );
    assertEquals((err as S3Error).code, "IncompleteBody");
    const finalizeFail = await assertRejects(() =>
      s.putObject("bkt", "k", body("other"), {
        attributes: attrs(),
        finalize: () => {
          throw new S3Error("BadDigest");
        },
      })
    );
    assertEquals((finalizeFail as S3Error).code, "BadDigest");
    assertEquals(await readAll(s.openObject("bkt", "k")), "original");
    const tmpFiles = [...Deno.readDirSync(s.temp.dir)].map((e) => e.name).filter((n) =>
      n !== "heartbeat.json" && n !== "alive.lock"
    );
    assertEquals(tmpFiles, []);
    assertEquals(dir.length > 0, true);
  });
});

Deno.test("an object that must become a directory keeps its bytes and metadata", async () => {
  await withStore(async (s, dir) => {
    await s.createBucket("bkt");
    const a = await s.putObject("bkt", "a", body("I am a"), { attributes: attrs("text/a") });
    await s.putObject("bkt", "a/b", body("I am a/b"), { attributes: attrs("text/ab") });
    assert(Deno.statSync(`${dir}/bkt/a`).isDirectory);
    assertEquals(Deno.readTextFileSync(`${dir}/bkt/a/%obj`), "I am a");
    const meta = s.headObject("bkt", "a");
    assertEquals([meta.etag, meta.contentType], [a.etag, "text/a"]);
    // Overwriting `a` now writes inside the directory.
    await s.putObject("bkt", "a", body("new a"), { attributes: attrs("text/a2") });
    const opened = s.openObject("bkt", "a");
    const m2 = opened.meta;
    assertEquals([await readAll(opened), m2.contentType], ["new a", "text/a2"]);
  });
});

/** The steps of promoting `a` to a directory (data, then sidecar), to stop after any of them. */
function promotionSteps(dir: string, job: { dataHold: string; metaHold: string }) {
  const data = `${dir}/bkt/a`;
  const meta = `${dir}/.geckos3/meta/bkt/a`;
  return [
    () => Deno.linkSync(data, job.dataHold),
    () => Deno.removeSync(data),
    () => Deno.mkdirSync(data),
    () => Deno.renameSync(job.dataHold, `${data}/%obj`),
    () => Deno.linkSync(meta, job.metaHold),
    () => Deno.removeSync(meta),
    () => Deno.mkdirSync(meta),
    () => Deno.renameSync(job.metaHold, `${meta}/%obj`),
  ];
}

Deno.test("start-up finishes a promotion stopped by a crash at any step, and clears dead temp dirs", async () => {
  // Stopped after 0..8 steps; the last case: after the first step, the key was overwritten.
  for (let done = 0; done <= 9; done++) {
    const overwritten = done === 9;
    const dir = await Deno.makeTempDir();
    try {
      const s1 = new FsStorage({ dataDir: dir, metadata: true, fsync: false });
      await s1.init();
      await s1.createBucket("bkt");
      await s1.putObject("bkt", "a", body("precious"), {
        attributes: attrs("text/p"),
      });
      const job = await s1.journal.begin({ bucket: "bkt", segments: ["a"] });
      const steps = promotionSteps(dir, job);
      for (const step of steps.slice(0, overwritten ? 1 : done)) step();
      if (overwritten) {
        await s1.putObject("bkt", "a", body("newer"), { attributes: attrs("text/n") });
      }
      Deno.writeTextFileSync(`${s1.temp.dir}/leftover-temp`, "junk");
      // The process dies without cleaning up: its liveness lock goes with it.
      s1.instance.abandon();
      const deadDir = s1.temp.dir;
      const s2 = new FsStorage({ dataDir: dir, metadata: true, fsync: false });
      await s2.init();
      try {
        const what = overwritten ? "overwritten after the first step" : `after ${done} steps`;
        const expected = overwritten ? ["newer", "text/n"] : ["precious", "text/p"];
        const a = s2.openObject("bkt", "a");
        assertEquals([await readAll(a), a.meta.contentType], expected, what);
        // Promoted (or never started) consistently: keys below `a` can be written, `a` stays.
        await s2.putObject("bkt", "a/b", body("below"), { attributes: attrs("text/b") });
        const again = s2.openObject("bkt", "a");
        assertEquals([await readAll(again), again.meta.contentType], expected, what);
        assertEquals(Deno.statSync(`${dir}/bkt/a`).isDirectory, true, what);
        let exists = true;
        try {
          Deno.statSync(deadDir);
        } catch {
          exists = false;
        }
        assertEquals(exists, false, what);
      } finally {
        await s2.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("concurrent writers of one key: the final bytes always match the final ETag", async () => {
  await withStore(async (s) => {
    await s.createBucket("bkt");
    const { createHash } = await import("node:crypto");
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from(
          { length: 8 },
          (_, i) =>
            s.putObject("bkt", "hot", body(`writer ${i} round ${round} `.repeat(i + 1)), {
              attributes: attrs(),
            }),
        ),
      );
      const hot = s.openObject("bkt", "hot");
      const meta = hot.meta;
      const text = await readAll(hot);
      assertEquals(meta.etag, `"${createHash("md5").update(text).digest("hex")}"`);
    }
  });
});

Deno.test("writing a key and keys below it at once never deadlocks and keeps every object", async () => {
  await withStore(async (s) => {
    await s.createBucket("bkt");
    const keys = ["a", "a/c", "a/b/c", "a//x", "a-b", "d", "d/y"];
    for (let round = 0; round < 25; round++) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`round ${round} deadlocked`)), 5000);
      });
      await Promise.race([
        Promise.all(
          keys.map((k) => s.putObject("bkt", k, body(k + round), { attributes: attrs() })),
        ),
        stuck,
      ]).finally(() => clearTimeout(timer));
      for (const k of keys) {
        const opened = s.openObject("bkt", k);
        assertEquals(await readAll(opened), k + round);
      }
      for (const k of keys) await s.deleteObject({ bucket: "bkt", key: k });
    }
  });
});

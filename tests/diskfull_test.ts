/**
 * Disk full: the data dir on a small tmpfs (needs root to mount; the test
 * says so and fails when it cannot). A PUT that does not fit gets 507
 * InsufficientStorage, the previous version stays intact, no temp file remains.
 */
import { errorCode, raw, startTestServer } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";

Deno.test({
  name: "disk full: 507 InsufficientStorage, previous version intact, no temp files",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const mountPoint = await Deno.makeTempDir({ prefix: "geckos3-full-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint],
    stderr: "piped",
  }).output();
  if (!mount.success) {
    throw new Error(
      `cannot mount a small tmpfs (run the suite as root, as .ci/run does): ${
        new TextDecoder().decode(mount.stderr)
      }`,
    );
  }
  try {
    const t = await startTestServer({ auth: false, dataDir: `${mountPoint}/data` });
    try {
      assertEquals((await raw(`${t.url}/full-bucket`, { method: "PUT" })).status, 200);
      assertEquals(
        (await raw(`${t.url}/full-bucket/keep`, { method: "PUT", body: "v1" })).status,
        200,
      );
      const big = new Uint8Array(20 * 1024 * 1024).fill(7);
      const r = await raw(`${t.url}/full-bucket/keep`, { method: "PUT", body: big });
      assertEquals([r.status, errorCode(r.text)], [507, "InsufficientStorage"]);
      assert(!r.text.includes(mountPoint), "a path leaked into the error");
      assertEquals((await raw(`${t.url}/full-bucket/keep`)).text, "v1");
      for await (const d of Deno.readDir(`${t.dataDir}/.geckos3/tmp`)) {
        const files = (await Array.fromAsync(Deno.readDir(`${t.dataDir}/.geckos3/tmp/${d.name}`)))
          .map((e) => e.name);
        assertEquals(files.filter((f) => !["heartbeat.json", "alive.lock"].includes(f)), []);
      }
      // Space is back once the failed upload is gone: a small write works.
      assertEquals(
        (await raw(`${t.url}/full-bucket/other`, { method: "PUT", body: "fits" })).status,
        200,
      );
    } finally {
      await t.close();
    }
  } finally {
    await new Deno.Command("umount", { args: [mountPoint] }).output();
    await Deno.remove(mountPoint, { recursive: true });
  }
});

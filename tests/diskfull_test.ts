/**
 * Disk full: the data dir on a small tmpfs (needs root to mount; the test
 * says so and fails when it cannot). A PUT that does not fit gets 507
 * InsufficientStorage, the previous version stays intact, no temp file remains.
 */
import { errorCode, leftoverTempFiles, raw, startTestServer } from "./support/server.ts";
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
      assertEquals(await leftoverTempFiles(t.dataDir), []);
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

Deno.test({
  name:
    "a file the server may not replace or delete: 403 AccessDenied, no path leaked, data intact",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  // chattr +i makes a file immutable even for root (the suite runs as root, which ignores modes).
  const t = await startTestServer({ auth: false });
  const path = `${t.dataDir}/locked-bucket/keep`;
  try {
    assertEquals((await raw(`${t.url}/locked-bucket`, { method: "PUT" })).status, 200);
    assertEquals(
      (await raw(`${t.url}/locked-bucket/keep`, { method: "PUT", body: "v1" })).status,
      200,
    );
    const chattr = await new Deno.Command("chattr", { args: ["+i", path], stderr: "piped" })
      .output();
    if (!chattr.success) {
      throw new Error(
        `chattr +i failed (needs root on ext4): ${new TextDecoder().decode(chattr.stderr)}`,
      );
    }
    for (const method of ["PUT", "DELETE"]) {
      const r = await raw(`${t.url}/locked-bucket/keep`, {
        method,
        body: method === "PUT" ? "v2" : undefined,
      });
      assertEquals([r.status, errorCode(r.text)], [403, "AccessDenied"], method);
      assert(!r.text.includes(t.dataDir), "a path leaked into the error");
    }
    const got = await raw(`${t.url}/locked-bucket/keep`);
    assertEquals([got.status, got.text, got.headers.get("etag")], [
      200,
      "v1",
      '"6654c734ccab8f440ff0825eb443dc7f"',
    ]);
  } finally {
    await new Deno.Command("chattr", { args: ["-i", path] }).output().catch(() => {});
    await t.close();
  }
});

Deno.test({
  name: "disk full between the bytes and their metadata: 507, and no temp file left",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const mountPoint = await Deno.makeTempDir({ prefix: "geckos3-full-meta-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint],
  }).output();
  if (!mount.success) throw new Error("cannot mount a small tmpfs (run the suite as root)");
  try {
    const t = await startTestServer({ auth: false, dataDir: `${mountPoint}/data` });
    try {
      assertEquals((await raw(`${t.url}/meta-bucket`, { method: "PUT" })).status, 200);
      // Fill the disk, then free exactly one page: room for the object's bytes, none for its
      // sidecar (the Content-Type makes one necessary).
      const filler = await Deno.open(`${mountPoint}/filler`, { write: true, create: true });
      const page = new Uint8Array(4096);
      try {
        for (;;) await filler.write(page);
      } catch {
        // full
      }
      const size = (await filler.stat()).size;
      await filler.truncate(size - (size % 4096) - 4096);
      filler.close();
      const r = await raw(`${t.url}/meta-bucket/obj`, {
        method: "PUT",
        headers: { "content-type": "text/x-needs-sidecar" },
        body: new Uint8Array(4096).fill(1),
      });
      assertEquals([r.status, errorCode(r.text)], [507, "InsufficientStorage"]);
      assertEquals(await leftoverTempFiles(t.dataDir), []);
      assertEquals((await raw(`${t.url}/meta-bucket/obj`)).status, 404);
    } finally {
      await t.close();
    }
  } finally {
    await new Deno.Command("umount", { args: [mountPoint] }).output();
    await Deno.remove(mountPoint, { recursive: true });
  }
});

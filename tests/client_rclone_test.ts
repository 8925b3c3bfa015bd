/** rclone (provider Other, configured by environment variables) against a geckos3 process. */
import { rcloneEnv, readmeSnippet, requireCommand, withClientServer } from "./support/clients.ts";
import { assert, assertEquals } from "./support/assert.ts";

Deno.test({
  name: "rclone: copy, sync, lsf, check (hashes), delete and purge on 500 nested files",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand("rclone", "rclone");
  await withClientServer(async (c) => {
    const env = rcloneEnv(c.url, c.work);
    const rclone = (...args: string[]) =>
      c.run("rclone", [...args, "--transfers", "8", "--checkers", "8"], { env });
    let n = 0;
    for (let a = 0; a < 10; a++) {
      for (let b = 0; b < 5; b++) {
        const dir = `${c.work}/src/d${a}/e${b}`;
        await Deno.mkdir(dir, { recursive: true });
        for (let f = 0; f < 10; f++) {
          await Deno.writeTextFile(`${dir}/f${f}.txt`, `file ${n++} `.repeat(f + 1));
        }
      }
    }
    assertEquals(n, 500);
    await rclone("mkdir", "gecko:rc-bucket");
    await rclone("copy", "src", "gecko:rc-bucket/tree");
    let files = (await rclone("lsf", "-R", "--files-only", "gecko:rc-bucket/tree")).stdout.trim()
      .split("\n");
    assertEquals(files.length, 500);
    assert(files.includes("d3/e2/f7.txt"));
    const check = await rclone("check", "src", "gecko:rc-bucket/tree");
    assert(/0 differences found/.test(check.stderr), check.stderr);
    assert(!/hashes could not be checked|No common hash/i.test(check.stderr), check.stderr);
    // Change, delete and add locally, then sync: the remote follows exactly.
    await Deno.writeTextFile(`${c.work}/src/d0/e0/f0.txt`, "changed");
    await Deno.remove(`${c.work}/src/d9`, { recursive: true });
    await Deno.writeTextFile(`${c.work}/src/new.txt`, "new");
    await rclone("sync", "src", "gecko:rc-bucket/tree");
    files = (await rclone("lsf", "-R", "--files-only", "gecko:rc-bucket/tree")).stdout.trim().split(
      "\n",
    );
    assertEquals(files.length, 451);
    assert(
      (await rclone("check", "src", "gecko:rc-bucket/tree")).stderr.includes("0 differences found"),
    );
    assertEquals((await rclone("cat", "gecko:rc-bucket/tree/d0/e0/f0.txt")).stdout, "changed");
    await rclone("delete", "gecko:rc-bucket/tree/d1");
    files = (await rclone("lsf", "-R", "--files-only", "gecko:rc-bucket/tree")).stdout.trim().split(
      "\n",
    );
    assertEquals(files.length, 401);
    await rclone("purge", "gecko:rc-bucket");
    assert(!(await rclone("lsd", "gecko:")).stdout.includes("rc-bucket"));
  });
});

Deno.test({
  name: "rclone: the README snippet runs as written",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand("rclone", "rclone");
  await withClientServer(async (c) => {
    await Deno.mkdir(`${c.work}/photos/2024`, { recursive: true });
    for (let i = 0; i < 5; i++) {
      await Deno.writeTextFile(`${c.work}/photos/2024/p${i}.jpg`, `photo ${i}`);
    }
    const r = await c.run(
      "bash",
      ["-euo", "pipefail", "-c", await readmeSnippet("rclone", c.url)],
      {
        env: { RCLONE_CONFIG: `${c.work}/rclone.conf` },
      },
    );
    assert(r.stderr.includes("0 differences found"), r.stderr);
  });
});

Deno.test({
  name:
    "rclone: multipart uploads complete (part ETags sent as &#34;...&#34;), piped and from files",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand("rclone", "rclone");
  await withClientServer(async (c) => {
    const env = rcloneEnv(c.url, c.work);
    // Multipart from 5 MiB on (rclone's cutoff is 200 MiB by default; the XML is the same).
    const rclone = (args: string[], stdin?: string) =>
      c.run("rclone", [...args, "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"], {
        env,
        stdin,
      });
    const data = new Uint8Array(12 * 1024 * 1024).map((_, i) => (i * 7) & 255);
    await Deno.mkdir(`${c.work}/big`);
    await Deno.writeFile(`${c.work}/big/twelve.bin`, data);
    await rclone(["mkdir", "gecko:rc-multipart"]);
    await rclone(["copy", "big", "gecko:rc-multipart/"]);
    await rclone(["rcat", "gecko:rc-multipart/piped.txt"], "piped line\n".repeat(1024 * 1024));
    const ls = (await rclone(["lsl", "gecko:rc-multipart"])).stdout;
    assert(/12582912 .* twelve\.bin/.test(ls) && /11534336 .* piped\.txt/.test(ls), ls);
    const check = await rclone(["check", "--one-way", "big", "gecko:rc-multipart/"]);
    assert(/0 differences found/.test(check.stderr), check.stderr);
  });
});

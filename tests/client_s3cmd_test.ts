/** s3cmd with a path-style host configuration against a geckos3 process. */
import {
  readmeSnippet,
  requireCommand,
  sameFile,
  withClientServer,
  writeRandomFile,
} from "./support/clients.ts";
import { assert } from "./support/assert.ts";

Deno.test({
  name: "s3cmd: mb, put (small and multipart), get, ls, del, rb",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand("s3cmd", "s3cmd");
  await withClientServer(async (c) => {
    const config = `${c.work}/s3cfg`;
    await Deno.writeTextFile(
      config,
      [
        "[default]",
        "access_key = geckoadmin",
        "secret_key = geckoadmin",
        `host_base = 127.0.0.1:${c.port}`,
        `host_bucket = 127.0.0.1:${c.port}`,
        "use_https = False",
        "bucket_location = us-east-1",
        "",
      ].join("\n"),
    );
    const s3cmd = (...args: string[]) => c.run("s3cmd", ["-c", config, ...args]);
    await s3cmd("mb", "s3://cmd-bucket");
    await Deno.writeTextFile(`${c.work}/note.txt`, "from s3cmd");
    await writeRandomFile(`${c.work}/big.bin`, 20 * 1024 * 1024, 3);
    await s3cmd("put", "note.txt", "s3://cmd-bucket/notes/note.txt");
    await s3cmd("put", "--multipart-chunk-size-mb=5", "big.bin", "s3://cmd-bucket/big.bin");
    await s3cmd("get", "s3://cmd-bucket/notes/note.txt", "note.back");
    await s3cmd("get", "s3://cmd-bucket/big.bin", "big.back");
    assert(await sameFile(`${c.work}/note.txt`, `${c.work}/note.back`));
    assert(await sameFile(`${c.work}/big.bin`, `${c.work}/big.back`));
    let ls = (await s3cmd("ls", "s3://cmd-bucket")).stdout;
    assert(
      ls.includes("DIR") && ls.includes("s3://cmd-bucket/notes/") &&
        ls.includes("s3://cmd-bucket/big.bin"),
      ls,
    );
    ls = (await s3cmd("ls", "--recursive", "s3://cmd-bucket")).stdout;
    assert(ls.includes("s3://cmd-bucket/notes/note.txt"), ls);
    assert((await s3cmd("ls")).stdout.includes("s3://cmd-bucket"));
    await s3cmd("del", "s3://cmd-bucket/notes/note.txt");
    await s3cmd("del", "s3://cmd-bucket/big.bin");
    await s3cmd("rb", "s3://cmd-bucket");
    assert(!(await s3cmd("ls")).stdout.includes("cmd-bucket"));
  });
});

Deno.test({
  name: "s3cmd: the README snippet runs as written",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand("s3cmd", "s3cmd");
  await withClientServer(async (c) => {
    const r = await c.run("bash", ["-euo", "pipefail", "-c", await readmeSnippet("s3cmd", c.url)]);
    assert(r.stdout.includes("s3://backups/") && r.stdout.includes("created"), r.stdout + r.stderr);
  });
});

/** aws-cli (Debian's v2, else whatever `aws` is on PATH) against a geckos3 process, default settings. */
import {
  hasCommand,
  readmeSnippet,
  requireCommand,
  sameFile,
  withClientServer,
  writeRandomFile,
} from "./support/clients.ts";
import { assert, assertEquals } from "./support/assert.ts";

const AWS = hasCommand("/usr/bin/aws") ? "/usr/bin/aws" : "aws";

Deno.test({
  name: "aws-cli s3: mb, cp (small and 100 MiB multipart), ls, sync twice, mv, rm, rb, presign",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand(AWS, "awscli");
  await withClientServer(async (c) => {
    const aws = (...args: string[]) => c.run(AWS, ["--endpoint-url", c.url, ...args]);
    await aws("s3", "mb", "s3://cli-bucket");
    await Deno.writeTextFile(`${c.work}/small.txt`, "hello from aws-cli\n");
    await writeRandomFile(`${c.work}/big.bin`, 100 * 1024 * 1024, 42);
    await aws("s3", "cp", "small.txt", "s3://cli-bucket/docs/small.txt");
    await aws("s3", "cp", "big.bin", "s3://cli-bucket/big.bin");
    await aws("s3", "cp", "s3://cli-bucket/big.bin", "big.back");
    assert(await sameFile(`${c.work}/big.bin`, `${c.work}/big.back`), "100 MiB round trip differs");
    const head = JSON.parse(
      (await aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "big.bin")).stdout,
    );
    assert(/^"[0-9a-f]{32}-\d+"$/.test(head.ETag), head.ETag);
    assertEquals(head.ContentLength, 100 * 1024 * 1024);
    let ls = (await aws("s3", "ls", "s3://cli-bucket/")).stdout;
    assert(ls.includes("PRE docs/") && ls.includes("big.bin"), ls);
    ls = (await aws("s3", "ls", "--recursive", "s3://cli-bucket/")).stdout;
    assert(ls.includes("docs/small.txt") && ls.includes("104857600 big.bin"), ls);
    assert((await aws("s3", "ls")).stdout.includes("cli-bucket"));

    // sync up twice: the second transfers nothing.
    await Deno.mkdir(`${c.work}/tree/a/b`, { recursive: true });
    for (let i = 0; i < 20; i++) {
      await Deno.writeTextFile(`${c.work}/tree/${i % 2 ? "a/" : "a/b/"}f${i}.txt`, `file ${i}`);
    }
    await Deno.writeTextFile(`${c.work}/tree/top.txt`, "top");
    let out = (await aws("s3", "sync", "--no-progress", "tree", "s3://cli-bucket/tree")).stdout;
    assertEquals(out.split("\n").filter((l) => l.startsWith("upload:")).length, 21);
    out = (await aws("s3", "sync", "--no-progress", "tree", "s3://cli-bucket/tree")).stdout;
    assertEquals(out.trim(), "", "second sync up transferred: " + out);
    // sync down twice.
    out = (await aws("s3", "sync", "--no-progress", "s3://cli-bucket/tree", "down")).stdout;
    assertEquals(out.split("\n").filter((l) => l.startsWith("download:")).length, 21);
    out = (await aws("s3", "sync", "--no-progress", "s3://cli-bucket/tree", "down")).stdout;
    assertEquals(out.trim(), "", "second sync down transferred: " + out);
    assertEquals(await Deno.readTextFile(`${c.work}/down/a/b/f0.txt`), "file 0");

    await aws("s3", "mv", "s3://cli-bucket/docs/small.txt", "s3://cli-bucket/moved.txt");
    assertEquals(
      (await aws("s3", "cp", "s3://cli-bucket/moved.txt", "-")).stdout,
      "hello from aws-cli\n",
    );
    const gone = await c.run(AWS, ["--endpoint-url", c.url, "s3", "ls", "s3://cli-bucket/docs/"], {
      allowFailure: true,
    });
    assertEquals(gone.stdout.trim(), "");

    const url = (await aws("s3", "presign", "s3://cli-bucket/moved.txt", "--expires-in", "300"))
      .stdout.trim();
    const curl = await c.run("curl", ["-sS", "-f", url]);
    assertEquals(curl.stdout, "hello from aws-cli\n");

    await aws("s3", "rm", "--recursive", "s3://cli-bucket/tree");
    const after = await c.run(AWS, [
      "--endpoint-url",
      c.url,
      "s3",
      "ls",
      "--recursive",
      "s3://cli-bucket/tree/",
    ], { allowFailure: true });
    assertEquals(after.stdout.trim(), ""); // aws-cli exits 1 when nothing matches
    await aws("s3", "rb", "--force", "s3://cli-bucket");
    assert(!(await aws("s3", "ls")).stdout.includes("cli-bucket"));
    const entries = await Array.fromAsync(Deno.readDir(c.dataDir));
    assertEquals(entries.map((e) => e.name), [".geckos3"]);
  });
});

Deno.test({
  name:
    "aws-cli s3api: put-object with metadata and headers, head, ranged get, paged list, copy, delete-objects",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand(AWS, "awscli");
  await withClientServer(async (c) => {
    const api = async (...args: string[]) => {
      const out =
        (await c.run(AWS, ["--endpoint-url", c.url, "--output", "json", "s3api", ...args])).stdout;
      return out.trim() ? JSON.parse(out) : {};
    };
    await api("create-bucket", "--bucket", "api-bucket");
    await Deno.writeTextFile(`${c.work}/body.txt`, "0123456789abcdefghij");
    const put = await api(
      "put-object",
      "--bucket",
      "api-bucket",
      "--key",
      "dir/obj.txt",
      "--body",
      "body.txt",
      "--content-type",
      "text/x-test",
      "--cache-control",
      "no-cache",
      "--content-disposition",
      "attachment; filename=x.txt",
      "--metadata",
      "Author=alice,project=gecko",
    );
    assert(put.ETag);
    const head = await api("head-object", "--bucket", "api-bucket", "--key", "dir/obj.txt");
    assertEquals(head.ContentType, "text/x-test");
    assertEquals(head.CacheControl, "no-cache");
    assertEquals(head.ContentDisposition, "attachment; filename=x.txt");
    assertEquals(head.Metadata, { author: "alice", project: "gecko" });
    const ranged = await api(
      "get-object",
      "--bucket",
      "api-bucket",
      "--key",
      "dir/obj.txt",
      "--range",
      "bytes=5-9",
      "part.txt",
    );
    assertEquals(ranged.ContentRange, "bytes 5-9/20");
    assertEquals(await Deno.readTextFile(`${c.work}/part.txt`), "56789");
    for (let i = 0; i < 25; i++) {
      await api(
        "put-object",
        "--bucket",
        "api-bucket",
        "--key",
        `many/k${String(i).padStart(2, "0")}`,
      );
    }
    const listed = await api(
      "list-objects-v2",
      "--bucket",
      "api-bucket",
      "--prefix",
      "many/",
      "--page-size",
      "7",
    );
    assertEquals(listed.Contents.length, 25);
    const page = await api(
      "list-objects-v2",
      "--bucket",
      "api-bucket",
      "--prefix",
      "many/",
      "--max-items",
      "10",
    );
    assertEquals(page.Contents.length, 10);
    assert(page.NextToken);
    await api(
      "copy-object",
      "--bucket",
      "api-bucket",
      "--key",
      "copy.txt",
      "--copy-source",
      "api-bucket/dir/obj.txt",
    );
    const copied = await api("head-object", "--bucket", "api-bucket", "--key", "copy.txt");
    assertEquals([copied.ETag, copied.Metadata], [put.ETag, { author: "alice", project: "gecko" }]);
    const del = await api(
      "delete-objects",
      "--bucket",
      "api-bucket",
      "--delete",
      JSON.stringify({
        Objects: Array.from(
          { length: 25 },
          (_, i) => ({ Key: `many/k${String(i).padStart(2, "0")}` }),
        ),
      }),
    );
    assertEquals(del.Deleted.length, 25);
    const rest = await api("list-objects-v2", "--bucket", "api-bucket");
    assertEquals(rest.Contents.map((o: { Key: string }) => o.Key), ["copy.txt", "dir/obj.txt"]);
    const missing = await c.run(AWS, [
      "--endpoint-url",
      c.url,
      "s3api",
      "head-object",
      "--bucket",
      "api-bucket",
      "--key",
      "nope",
    ], { allowFailure: true });
    assert(missing.code !== 0 && /404|Not Found/.test(missing.stderr), missing.stderr);
  });
});

Deno.test({
  name: "aws-cli: the README snippet runs as written",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand(AWS, "awscli");
  await withClientServer(async (c) => {
    await Deno.mkdir(`${c.work}/site`);
    await Deno.writeTextFile(`${c.work}/site/index.html`, "<h1>hi</h1>");
    const script = (await readmeSnippet("aws-cli", c.url)).replaceAll(/^aws /gm, `${AWS} `);
    const r = await c.run("bash", ["-euo", "pipefail", "-c", script]);
    const url = r.stdout.trim().split("\n").at(-1)!;
    assert(url.includes("X-Amz-Signature="), r.stdout);
    assertEquals(await (await fetch(url)).text(), "<h1>hi</h1>");
  });
});

Deno.test({
  name: "aws-cli s3 sync: empty files (PUTs with Expect: 100-continue) stall no later request",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand(AWS, "awscli");
  await withClientServer(async (c) => {
    // One attempt and a 5 s read timeout: a stalled connection fails the sync instead of a retry
    // hiding it (botocore misread the response after an empty PUT and waited 60 s).
    const env = { AWS_MAX_ATTEMPTS: "1", AWS_RETRY_MODE: "standard" };
    const aws = (...args: string[]) =>
      c.run(AWS, ["--endpoint-url", c.url, "--cli-read-timeout", "5", ...args], { env });
    await aws("s3", "mb", "s3://empty-files");
    await Deno.mkdir(`${c.work}/tree`);
    for (let i = 0; i < 20; i++) {
      await Deno.writeTextFile(`${c.work}/tree/empty-${i}`, "");
      await Deno.writeTextFile(`${c.work}/tree/full-${i}`, `file ${i}\n`);
    }
    const sync = await aws("s3", "sync", "tree", "s3://empty-files/tree/");
    assertEquals(sync.stdout.match(/upload:/g)?.length, 40, sync.stdout + sync.stderr);
    const ls = (await aws("s3", "ls", "--recursive", "s3://empty-files/")).stdout;
    assertEquals(ls.trim().split("\n").length, 40, ls);
  });
});

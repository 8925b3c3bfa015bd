/**
 * Links placed by hand, one policy for every operation: a bucket directory
 * that is a link is served where it points; below a bucket no link is
 * followed. A linked file or directory is not listed, not read (NoSuchKey),
 * not deleted through, and nothing is written through it (AccessDenied); a
 * key named like the link itself replaces the link, never its target.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from "./deps/aws_sdk.ts";
import { bytesOf, raw, startTestServer } from "./support/server.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import { spawnOn } from "./support/process.ts";

const SECRET = "outside the data dir";

/** Every entry below `dir`, with file contents, to compare before and after. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const path = `${d}/${e.name}`;
      out.push(e.isFile ? `${path}=${Deno.readTextFileSync(path)}` : `${path}/`);
      if (e.isDirectory) walk(path);
    }
  };
  walk(dir);
  return out.sort();
}

Deno.test({
  name: "links below a bucket are never followed; a linked bucket is served",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const outer = await Deno.makeTempDir({ prefix: "geckos3-links-" });
    const dataDir = `${outer}/data`;
    await Deno.mkdir(`${outer}/outside/sub`, { recursive: true });
    await Deno.writeTextFile(`${outer}/outside/secret.txt`, SECRET);
    await Deno.mkdir(`${outer}/elsewhere`);
    await Deno.writeTextFile(`${outer}/elsewhere/f.txt`, "in a linked bucket");
    await Deno.mkdir(dataDir);
    const t = await startTestServer({ dataDir, auth: false });
    const s3 = t.s3;
    try {
      await raw(`${t.url}/bkt`, { method: "PUT" });
      await s3.send(new PutObjectCommand({ Bucket: "bkt", Key: "real.txt", Body: "mine" }));
      Deno.symlinkSync(`${outer}/outside`, `${dataDir}/bkt/dirlink`);
      Deno.symlinkSync(`${outer}/outside/secret.txt`, `${dataDir}/bkt/filelink`);
      Deno.symlinkSync(`${outer}/elsewhere`, `${dataDir}/linked`);
      const before = snapshot(`${outer}/outside`);

      // Not listed, not read.
      const list = await s3.send(new ListObjectsV2Command({ Bucket: "bkt" }));
      assertEquals(list.Contents?.map((o) => o.Key), ["real.txt"]);
      for (const Key of ["filelink", "dirlink/secret.txt"]) {
        await assertS3Error(
          () => s3.send(new GetObjectCommand({ Bucket: "bkt", Key })),
          "NoSuchKey",
          404,
        );
        await assertS3Error(
          () => s3.send(new HeadObjectCommand({ Bucket: "bkt", Key })),
          "NotFound",
          404,
        );
        await assertS3Error(
          () =>
            s3.send(
              new CopyObjectCommand({ Bucket: "bkt", Key: "copy", CopySource: `bkt/${Key}` }),
            ),
          "NoSuchKey",
          404,
        );
        await assertS3Error(
          () =>
            s3.send(
              new PutObjectTaggingCommand({
                Bucket: "bkt",
                Key,
                Tagging: { TagSet: [{ Key: "a", Value: "b" }] },
              }),
            ),
          "NoSuchKey",
          404,
        );
      }
      // Nothing written through a linked directory, not even a directory.
      for (const Key of ["dirlink/new.txt", "dirlink/deep/er/new.txt", "dirlink/sub/x"]) {
        await assertS3Error(
          () => s3.send(new PutObjectCommand({ Bucket: "bkt", Key, Body: "planted" })),
          "AccessDenied",
          403,
        );
      }
      const upload = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: "bkt", Key: "dirlink/mp" }),
      );
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: "bkt",
          Key: "dirlink/mp",
          UploadId: upload.UploadId,
          PartNumber: 1,
          Body: "part",
        }),
      );
      await assertS3Error(
        () =>
          s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: "bkt",
              Key: "dirlink/mp",
              UploadId: upload.UploadId,
              MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
            }),
          ),
        "AccessDenied",
        403,
      );
      // Nothing deleted through it.
      await s3.send(new DeleteObjectCommand({ Bucket: "bkt", Key: "dirlink/secret.txt" }));
      assertEquals(snapshot(`${outer}/outside`), before);
      assertEquals(await Deno.readTextFile(`${outer}/outside/secret.txt`), SECRET);

      // A key named like a linked file replaces the link itself, never the file it points to.
      await s3.send(
        new PutObjectCommand({ Bucket: "bkt", Key: "filelink", Body: "a real object" }),
      );
      assert(!Deno.lstatSync(`${dataDir}/bkt/filelink`).isSymlink);
      assertEquals(await Deno.readTextFile(`${outer}/outside/secret.txt`), SECRET);

      // A bucket that is a link is served where it points, for reads, listings and writes.
      const got = await s3.send(new GetObjectCommand({ Bucket: "linked", Key: "f.txt" }));
      assertEquals(new TextDecoder().decode(await bytesOf(got.Body)), "in a linked bucket");
      await s3.send(new PutObjectCommand({ Bucket: "linked", Key: "d/new.txt", Body: "new" }));
      assertEquals(await Deno.readTextFile(`${outer}/elsewhere/d/new.txt`), "new");
      const linkedList = await s3.send(new ListObjectsV2Command({ Bucket: "linked" }));
      assertEquals(linkedList.Contents?.map((o) => o.Key), ["d/new.txt", "f.txt"]);
      await s3.send(new DeleteObjectCommand({ Bucket: "linked", Key: "d/new.txt" }));
      assertEquals(snapshot(`${outer}/outside`), before);
    } finally {
      await t.close();
      await Deno.remove(outer, { recursive: true });
    }
  },
});

Deno.test({
  name: "a FIFO placed by hand in a bucket is no object and holds no request up",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (Deno.build.os === "windows") return;
    const dataDir = await Deno.makeTempDir({ prefix: "geckos3-fifo-" });
    const server = await spawnOn(dataDir);
    try {
      await raw(`${server.url}/bkt`, { method: "PUT" });
      await raw(`${server.url}/bkt/real.txt`, { method: "PUT", body: "mine" });
      // Opened for reading, a FIFO with no writer blocks the opening thread: the server's one.
      const made = await new Deno.Command("mkfifo", { args: [`${dataDir}/bkt/pipe`] }).output();
      assert(made.success, "mkfifo");
      const ask = (method: string) =>
        raw(`${server.url}/bkt/pipe`, { method, signal: AbortSignal.timeout(10_000) });
      assertEquals((await ask("GET")).status, 404);
      assertEquals((await ask("HEAD")).status, 404);
      const list = await raw(`${server.url}/bkt?list-type=2`, {
        signal: AbortSignal.timeout(10_000),
      });
      assert(list.text.includes("<Key>real.txt</Key>") && !list.text.includes("pipe"), list.text);
    } finally {
      // A thread held up by the FIFO would not see SIGTERM.
      await server.stop("SIGKILL");
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

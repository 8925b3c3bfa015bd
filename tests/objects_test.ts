/** Object operations against a real server with the AWS SDK v3 (default settings) and raw fetch. */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  Md5,
  PutObjectCommand,
  Sha512,
  Xxh3_128,
  Xxh3_64,
  Xxh64,
} from "./deps/aws_sdk.ts";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import {
  bytesOf,
  errorCode,
  leftoverTempFiles,
  md5Hex,
  raw,
  sdkClient,
  serverTest,
} from "./support/server.ts";
import { pseudoRandomBytes } from "./support/bytes.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";

const B = "objects";
const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** MD5 hex of a GET of `url` during which `meanwhile` runs, once the first chunk has arrived. */
async function md5OfReadAcross(url: string, meanwhile: () => Promise<unknown>): Promise<string> {
  const reader = (await fetch(url)).body!.getReader();
  const hash = createHash("md5").update((await reader.read()).value!);
  await meanwhile();
  for (let r = await reader.read(); !r.done; r = await reader.read()) hash.update(r.value);
  return hash.digest("hex");
}

serverTest("put, get, head and delete round-trip bytes, ETag and metadata", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const body = text("Hello, World!");
  const put = await t.s3.send(
    new PutObjectCommand({
      Bucket: B,
      Key: "report.pdf",
      Body: body,
      ContentType: "application/pdf",
      ContentDisposition: 'attachment; filename="report.pdf"',
      CacheControl: "max-age=86400",
      ContentEncoding: "identity",
      ContentLanguage: "en-GB",
      Expires: new Date("2030-01-01T00:00:00Z"),
      Metadata: { author: "alice", Version: "2.0" },
    }),
  );
  assertEquals(put.ETag, `"${await md5Hex(body)}"`);
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "report.pdf" }));
  assertEquals(decode(await bytesOf(got.Body)), "Hello, World!");
  assertEquals(got.ETag, put.ETag);
  assertEquals(got.ContentType, "application/pdf");
  assertEquals(got.ContentDisposition, 'attachment; filename="report.pdf"');
  assertEquals(got.CacheControl, "max-age=86400");
  assertEquals(got.ContentEncoding, "identity");
  assertEquals(got.ContentLanguage, "en-GB");
  assertEquals(got.Metadata, { author: "alice", version: "2.0" });
  assertEquals(got.ContentLength, 13);
  assertEquals(got.AcceptRanges, "bytes");
  assert(got.LastModified instanceof Date);

  const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "report.pdf" }));
  assertEquals(head.ETag, put.ETag);
  assertEquals(head.ContentLength, 13);
  assertEquals(head.Metadata?.author, "alice");

  // The object is a plain file with exactly its bytes.
  assertEquals(await Deno.readTextFile(`${t.dataDir}/${B}/report.pdf`), "Hello, World!");

  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "report.pdf" }));
  await assertS3Error(
    () => t.s3.send(new GetObjectCommand({ Bucket: B, Key: "report.pdf" })),
    "NoSuchKey",
    404,
  );
  // Deleting a missing key is still 204.
  const del = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "never-existed" }));
  assertEquals(del.$metadata.httpStatusCode, 204);
});

serverTest(
  "large objects replaced or deleted: a reader of the old version gets all of it, and the old bytes are freed afterwards",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const first = pseudoRandomBytes(12 * 1024 * 1024, 1);
    const second = pseudoRandomBytes(12 * 1024 * 1024, 2);
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "big", Body: first }));
    // The old version is open and partly read while it is replaced.
    const replace = () => t.s3.send(new PutObjectCommand({ Bucket: B, Key: "big", Body: second }));
    assertEquals(await md5OfReadAcross(`${t.url}/${B}/big`, replace), await md5Hex(first));
    const now = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "big" }));
    assertEquals(await md5Hex(await bytesOf(now.Body)), await md5Hex(second));
    // The replaced version was held in the temp area only until it could be freed.
    await t.server.storage.idle();
    assertEquals(await leftoverTempFiles(t.dataDir), []);

    const remove = () => t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "big" }));
    assertEquals(await md5OfReadAcross(`${t.url}/${B}/big`, remove), await md5Hex(second));
    await assertS3Error(
      () => t.s3.send(new GetObjectCommand({ Bucket: B, Key: "big" })),
      "NoSuchKey",
    );
    await t.server.storage.idle();
    assertEquals(await leftoverTempFiles(t.dataDir), []);
    assertEquals([...Deno.readDirSync(`${t.dataDir}/${B}`)], []);
  },
);

serverTest(
  "a body cut short by its client is IncompleteBody: nothing written or replaced, no temp file left",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "cut", Body: "kept" }));
    // Read whole in one step (Content-Length known and small), and as a stream (past 256 KiB).
    for (const [declared, sent] of [[4096, 1000], [300 * 1024, 200 * 1024]]) {
      for (const key of ["cut", "new"]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.port });
        await conn.write(
          text(`PUT /${B}/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\n\r\n`),
        );
        await conn.write(new Uint8Array(sent).fill(120));
        await conn.closeWrite();
        const answer = new Uint8Array(4096);
        const n = await conn.read(answer);
        conn.close();
        const reply = decode(answer.subarray(0, n ?? 0));
        assertEquals(
          [reply.split(" ")[1], /<Code>(\w+)<\/Code>/.exec(reply)?.[1]],
          ["400", "IncompleteBody"],
          `${declared} declared, ${sent} sent`,
        );
      }
    }
    const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "cut" }));
    assertEquals(decode(await bytesOf(got.Body)), "kept");
    await assertS3Error(
      () => t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "new" })),
      "NotFound",
    );
    assertEquals(await leftoverTempFiles(t.dataDir), []);
  },
);

serverTest("content type defaults to binary/octet-stream; streamed bodies work", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const res = await raw(`${t.url}/${B}/untyped`, { method: "PUT", body: text("x") });
  assertEquals(res.status, 200);
  const head = await fetch(`${t.url}/${B}/untyped`, { method: "HEAD" });
  assertEquals(head.headers.get("content-type"), "binary/octet-stream");

  const payload = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) & 255);
  await t.s3.send(
    new PutObjectCommand({
      Bucket: B,
      Key: "streamed",
      Body: Readable.from([payload.subarray(0, 1000), payload.subarray(1000)]),
      ContentLength: payload.byteLength,
    }),
  );
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "streamed" }));
  const back = await bytesOf(got.Body);
  assertEquals(back.byteLength, payload.byteLength);
  assertEquals(await md5Hex(back), await md5Hex(payload));
  assertEquals(got.ETag, `"${await md5Hex(payload)}"`);
});

serverTest("tricky keys round-trip and land inside the bucket", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const keys = [
    "photos/",
    "photos/2024/cat.jpg",
    "a//b",
    "./x",
    "../x",
    "a/../../escape",
    "..",
    "%2e%2e",
    "100% sure",
    "space name",
    "plus+sign",
    "amp&and=eq?q#h",
    "ünïcödé/日本語/😀",
    "back\\slash",
    "a",
    "a/b",
    "a/b/c",
    "%obj",
  ];
  for (const key of keys) {
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: text(`v:${key}`) }));
  }
  for (const key of keys) {
    const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
    assertEquals(decode(await bytesOf(got.Body)), `v:${key}`, key);
  }
  // Nothing escaped the bucket directory.
  const top = [...Deno.readDirSync(t.dataDir)].map((e) => e.name).sort();
  assertEquals(top, [".geckos3", B]);
  // `a`, `a/b` and `a/b/c` coexist; deleting `a/b/c` and `a/b` keeps `a`.
  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "a/b/c" }));
  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "a/b" }));
  const a = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "a" }));
  assertEquals(decode(await bytesOf(a.Body)), "v:a");
  await assertS3Error(
    () => t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "a/b" })),
    "NotFound",
    404,
  );
});

serverTest(
  "a key segment over 255 bytes or a key over 1024 bytes is KeyTooLongError",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    let res = await raw(`${t.url}/${B}/${"x".repeat(256)}`, { method: "PUT", body: "x" });
    assertEquals([res.status, errorCode(res.text)], [400, "KeyTooLongError"]);
    res = await raw(`${t.url}/${B}/${"ab/".repeat(342)}`, { method: "PUT", body: "x" });
    assertEquals([res.status, errorCode(res.text)], [400, "KeyTooLongError"]);
    res = await raw(`${t.url}/${B}/${"x".repeat(256)}`);
    assertEquals([res.status, errorCode(res.text)], [400, "KeyTooLongError"]);
  },
);

serverTest(
  "deleting the last object under a prefix removes empty directories, never the bucket",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "deep/er/est/file", Body: text("x") }));
    await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "deep/er/est/file" }));
    assertEquals([...Deno.readDirSync(`${t.dataDir}/${B}`)].length, 0);
    assertEquals(Deno.statSync(`${t.dataDir}/${B}`).isDirectory, true);
  },
);

serverTest("ranges: a-b, a-, -n, unsatisfiable, multi-range", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "r", Body: text("0123456789") }));
  const get = (range: string) =>
    t.s3.send(new GetObjectCommand({ Bucket: B, Key: "r", Range: range }));
  let r = await get("bytes=2-5");
  assertEquals(decode(await bytesOf(r.Body)), "2345");
  assertEquals(r.ContentRange, "bytes 2-5/10");
  assertEquals(r.$metadata.httpStatusCode, 206);
  r = await get("bytes=7-");
  assertEquals(decode(await bytesOf(r.Body)), "789");
  r = await get("bytes=-3");
  assertEquals(decode(await bytesOf(r.Body)), "789");
  r = await get("bytes=5-100");
  assertEquals(decode(await bytesOf(r.Body)), "56789");
  assertEquals(r.ContentRange, "bytes 5-9/10");
  await assertS3Error(() => get("bytes=10-"), "InvalidRange", 416);
  const multi = await raw(`${t.url}/${B}/r`, { headers: { range: "bytes=0-1,3-4" } });
  assertEquals([multi.status, multi.text], [200, "0123456789"]);
  const bad = await raw(`${t.url}/${B}/r`, { headers: { range: "bytes=20-30" } });
  assertEquals([bad.status, errorCode(bad.text)], [416, "InvalidRange"]);
});

serverTest("conditional reads follow S3 precedence", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const put = await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "c", Body: text("abc") }));
  const etag = put.ETag!;
  const url = `${t.url}/${B}/c`;
  const past = new Date(Date.now() - 3600_000).toUTCString();
  const future = new Date(Date.now() + 3600_000).toUTCString();
  const status = async (headers: Record<string, string>, method = "GET") => {
    const r = await fetch(url, { headers, method });
    await r.body?.cancel();
    return r.status;
  };
  assertEquals(await status({ "if-match": etag }), 200);
  assertEquals(await status({ "if-match": '"nope"' }), 412);
  assertEquals(await status({ "if-match": '"nope"' }, "HEAD"), 412);
  assertEquals(await status({ "if-none-match": etag }), 304);
  assertEquals(await status({ "if-none-match": '"nope"' }), 200);
  assertEquals(await status({ "if-modified-since": future }), 304);
  assertEquals(await status({ "if-modified-since": past }), 200);
  assertEquals(await status({ "if-unmodified-since": past }), 412);
  assertEquals(await status({ "if-unmodified-since": future }), 200);
  // If-Match true wins over If-Unmodified-Since false; If-None-Match false wins over If-Modified-Since true.
  assertEquals(await status({ "if-match": etag, "if-unmodified-since": past }), 200);
  assertEquals(await status({ "if-none-match": etag, "if-modified-since": past }), 304);
  const pre = await raw(url, { headers: { "if-match": '"nope"' } });
  assertEquals(errorCode(pre.text), "PreconditionFailed");
});

serverTest("conditional writes: If-None-Match * and If-Match", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const first = await t.s3.send(
    new PutObjectCommand({ Bucket: B, Key: "w", Body: text("one"), IfNoneMatch: "*" }),
  );
  await assertS3Error(
    () =>
      t.s3.send(new PutObjectCommand({ Bucket: B, Key: "w", Body: text("two"), IfNoneMatch: "*" })),
    "PreconditionFailed",
    412,
  );
  await assertS3Error(
    () =>
      t.s3.send(
        new PutObjectCommand({ Bucket: B, Key: "w", Body: text("two"), IfMatch: '"nope"' }),
      ),
    "PreconditionFailed",
    412,
  );
  await t.s3.send(
    new PutObjectCommand({ Bucket: B, Key: "w", Body: text("three"), IfMatch: first.ETag }),
  );
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "w" }));
  assertEquals(decode(await bytesOf(got.Body)), "three");
  await assertS3Error(
    () =>
      t.s3.send(
        new PutObjectCommand({ Bucket: B, Key: "absent", Body: text("x"), IfMatch: first.ETag }),
      ),
    "NoSuchKey",
    404,
  );
});

serverTest(
  "copy: COPY keeps metadata, REPLACE takes the request's, self-copy needs REPLACE",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(new CreateBucketCommand({ Bucket: "other" }));
    const put = await t.s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: "src file+1",
        Body: text("copy me"),
        ContentType: "text/plain",
        Metadata: { color: "blue" },
        CacheControl: "no-cache",
      }),
    );
    const copy = await t.s3.send(
      new CopyObjectCommand({
        Bucket: "other",
        Key: "dst",
        CopySource: `${B}/${encodeURIComponent("src file+1")}`,
      }),
    );
    assertEquals(copy.CopyObjectResult?.ETag, put.ETag);
    const dst = await t.s3.send(new GetObjectCommand({ Bucket: "other", Key: "dst" }));
    assertEquals(decode(await bytesOf(dst.Body)), "copy me");
    assertEquals(dst.ContentType, "text/plain");
    assertEquals(dst.Metadata, { color: "blue" });
    assertEquals(dst.CacheControl, "no-cache");

    await t.s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: "replaced",
        CopySource: `/${B}/${encodeURIComponent("src file+1")}`,
        MetadataDirective: "REPLACE",
        ContentType: "application/json",
        Metadata: { shape: "round" },
      }),
    );
    const rep = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "replaced" }));
    assertEquals(rep.ContentType, "application/json");
    assertEquals(rep.Metadata, { shape: "round" });
    assertEquals(rep.CacheControl, undefined);

    await assertS3Error(
      () =>
        t.s3.send(
          new CopyObjectCommand({ Bucket: B, Key: "replaced", CopySource: `${B}/replaced` }),
        ),
      "InvalidRequest",
      400,
    );
    await t.s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: "replaced",
        CopySource: `${B}/replaced`,
        MetadataDirective: "REPLACE",
        Metadata: { shape: "square" },
      }),
    );
    const self = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "replaced" }));
    assertEquals(decode(await bytesOf(self.Body)), "copy me");
    assertEquals(self.Metadata, { shape: "square" });

    await assertS3Error(
      () =>
        t.s3.send(
          new CopyObjectCommand({
            Bucket: B,
            Key: "x",
            CopySource: `${B}/replaced`,
            CopySourceIfMatch: '"nope"',
          }),
        ),
      "PreconditionFailed",
      412,
    );
    await t.s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: "x",
        CopySource: `${B}/replaced`,
        CopySourceIfMatch: put.ETag,
      }),
    );
    await assertS3Error(
      () =>
        t.s3.send(
          new CopyObjectCommand({
            Bucket: B,
            Key: "y",
            CopySource: `${B}/replaced`,
            CopySourceIfModifiedSince: new Date(Date.now() + 3600_000),
          }),
        ),
      "PreconditionFailed",
      412,
    );
    await assertS3Error(
      () => t.s3.send(new CopyObjectCommand({ Bucket: B, Key: "z", CopySource: `${B}/missing` })),
      "NoSuchKey",
      404,
    );
  },
);

serverTest("DeleteObjects: verbose, quiet, limits and bad XML", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  for (const k of ["d1", "d2", "dir/d3"]) {
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: text(k) }));
  }
  const res = await t.s3.send(
    new DeleteObjectsCommand({
      Bucket: B,
      Delete: {
        Objects: [{ Key: "d1" }, { Key: "dir/d3" }, { Key: "missing" }, { Key: "x".repeat(300) }],
      },
    }),
  );
  assertEquals(res.Deleted?.map((d) => d.Key).sort(), ["d1", "dir/d3", "missing"]);
  assertEquals(res.Errors?.map((e) => e.Code), ["KeyTooLongError"]);
  const quiet = await t.s3.send(
    new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: "d2" }], Quiet: true } }),
  );
  assertEquals(quiet.Deleted ?? [], []);
  await assertS3Error(
    () => t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "d2" })),
    "NotFound",
    404,
  );

  const tooMany = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
  await assertS3Error(
    () => t.s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: tooMany } })),
    "MalformedXML",
    400,
  );
  for (
    const body of ["", "<Delete>", "not xml", "<Other/>", '<!DOCTYPE x [<!ENTITY a "b">]><Delete/>']
  ) {
    const r = await raw(`${t.url}/${B}?delete`, { method: "POST", body });
    assertEquals([r.status, errorCode(r.text)], [400, "MalformedXML"], body);
  }
});

serverTest("unknown sub-resources are 501 and never touch data", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "keep", Body: text("precious") }));
  const objectSubs = ["policy", "versioning", "lifecycle", "cors", "torrent", "annotation"];
  const bucketSubs = ["session"];
  for (const method of ["PUT", "DELETE", "GET", "POST"]) {
    const body = method === "PUT" || method === "POST" ? "junk" : undefined;
    for (const sub of objectSubs) {
      const r = await raw(`${t.url}/${B}/keep?${sub}`, { method, body });
      assertEquals(
        [r.status, errorCode(r.text)],
        [501, "NotImplemented"],
        `${method} ?${sub} on object`,
      );
    }
    for (const sub of bucketSubs) {
      const rb = await raw(`${t.url}/${B}?${sub}`, { method, body });
      assertEquals(
        [rb.status, errorCode(rb.text)],
        [501, "NotImplemented"],
        `${method} ?${sub} on bucket`,
      );
    }
  }
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "keep" }));
  assertEquals(decode(await bytesOf(got.Body)), "precious");
});

serverTest("path traversal attempts stay inside the bucket or fail cleanly", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const outside = await Deno.makeTempDir();
  try {
    const paths = [
      `/${B}/../../../../${outside.slice(1)}/pwned`,
      `/${B}/%2e%2e/%2e%2e/pwned`,
      `/${B}/..%2f..%2fpwned`,
      `/${B}/..\\..\\pwned`,
      `/${B}/%00pwned`,
      `/${B}//etc/passwd`,
      `/..%2f..%2ftmp/pwned`,
    ];
    for (const p of paths) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.port });
      const req =
        `PUT ${p} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\npwned`;
      await conn.write(text(req));
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      conn.close();
      const status = Number(decode(buf.subarray(0, n ?? 0)).split(" ")[1]);
      assert(status < 500, `${p} -> ${status}`);
    }
    assertEquals([...Deno.readDirSync(outside)].length, 0);
    const top = [...Deno.readDirSync(t.dataDir)].map((e) => e.name).sort();
    assertEquals(top, [".geckos3", B]);
    const r = await raw(`${t.url}/${B}/%E0%A4%A`);
    assertEquals([r.status, errorCode(r.text)], [400, "InvalidURI"]);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

serverTest("user metadata over 2 KB is MetadataTooLarge and nothing is written", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await assertS3Error(
    () =>
      t.s3.send(
        new PutObjectCommand({
          Bucket: B,
          Key: "big-meta",
          Body: text("x"),
          Metadata: { a: "v".repeat(2100) },
        }),
      ),
    "MetadataTooLarge",
    400,
  );
  await assertS3Error(
    () => t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "big-meta" })),
    "NotFound",
    404,
  );
});

serverTest(
  "GET honours response-* overrides and objects in a missing bucket are NoSuchBucket",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(
      new PutObjectCommand({ Bucket: B, Key: "o", Body: text("x"), ContentType: "text/plain" }),
    );
    const got = await t.s3.send(
      new GetObjectCommand({
        Bucket: B,
        Key: "o",
        ResponseContentType: "application/x-test",
        ResponseContentDisposition: "inline",
      }),
    );
    await bytesOf(got.Body);
    assertEquals(got.ContentType, "application/x-test");
    assertEquals(got.ContentDisposition, "inline");
    await assertS3Error(
      () => t.s3.send(new GetObjectCommand({ Bucket: "nobucket", Key: "o" })),
      "NoSuchBucket",
      404,
    );
    await assertS3Error(
      () => t.s3.send(new PutObjectCommand({ Bucket: "nobucket", Key: "o", Body: text("x") })),
      "NoSuchBucket",
      404,
    );
    assertEquals([...Deno.readDirSync(t.dataDir)].map((e) => e.name).sort(), [".geckos3", B]);
  },
);

serverTest("-metadata=false: no sidecars, octet-stream type, stable pseudo ETag", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const put = await t.s3.send(
    new PutObjectCommand({
      Bucket: B,
      Key: "m",
      Body: text("data"),
      ContentType: "text/plain",
      Metadata: { a: "b" },
    }),
  );
  const head1 = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "m" }));
  const head2 = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "m" }));
  assertEquals(head1.ContentType, "application/octet-stream");
  assertEquals(head1.Metadata, {});
  assertEquals(head1.ETag, head2.ETag);
  assertEquals(head1.ETag, put.ETag);
  assert(head1.ETag !== `"${await md5Hex("data")}"`);
  const meta = `${t.dataDir}/.geckos3/meta/${B}`;
  let sidecars = 0;
  try {
    for (const _ of Deno.readDirSync(meta)) sidecars++;
  } catch {
    // no meta dir at all
  }
  assertEquals(sidecars, 0);
}, { metadata: false });

serverTest("-fsync=true writes and reads normally", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "dir/f", Body: text("synced") }));
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "dir/f" }));
  assertEquals(decode(await bytesOf(got.Body)), "synced");
}, { fsync: true });

serverTest(
  "small objects with nothing but bytes have no sidecar; their ETag is the MD5 of the file",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const sidecar = (key: string) => `${t.dataDir}/.geckos3/meta/${B}/${key}`;
    const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
    const body = pseudoRandomBytes(4096, 9);
    const md5 = `"${await md5Hex(body)}"`;

    // Written plain: one file, read back from it (whole, ranged, HEAD, listed, conditional).
    assertEquals((await raw(`${t.url}/${B}/plain`, { method: "PUT", body })).status, 200);
    assertEquals(await exists(sidecar("plain")), false);
    const got = await fetch(`${t.url}/${B}/plain`);
    assertEquals([got.headers.get("etag"), got.headers.get("content-type")], [
      md5,
      "binary/octet-stream",
    ]);
    assertEquals(await md5Hex(new Uint8Array(await got.arrayBuffer())), md5.slice(1, -1));
    const part = await fetch(`${t.url}/${B}/plain`, { headers: { range: "bytes=100-199" } });
    assertEquals(part.status, 206);
    assertEquals(new Uint8Array(await part.arrayBuffer()), body.subarray(100, 200));
    const head = await fetch(`${t.url}/${B}/plain`, { method: "HEAD" });
    assertEquals([head.headers.get("etag"), head.headers.get("content-length")], [md5, "4096"]);
    const listing = await (await fetch(`${t.url}/${B}?list-type=2&prefix=plain`)).text();
    assert(listing.includes(`<ETag>${md5.replaceAll('"', "&quot;")}</ETag>`), listing);
    const unchanged = await fetch(`${t.url}/${B}/plain`, { headers: { "if-none-match": md5 } });
    assertEquals(unchanged.status, 304);
    await unchanged.body?.cancel();

    // Anything more than bytes keeps a sidecar; a plain overwrite drops it and what it said.
    await t.s3.send(
      new PutObjectCommand({ Bucket: B, Key: "plain", Body: body, Metadata: { a: "1" } }),
    );
    assertEquals(await exists(sidecar("plain")), true);
    const meta = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "plain" }));
    assertEquals([meta.Metadata?.a, meta.ETag], ["1", md5]);
    await raw(`${t.url}/${B}/plain`, { method: "PUT", body });
    assertEquals(await exists(sidecar("plain")), false);
    const bare = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "plain" }));
    assertEquals([bare.Metadata, bare.ETag], [{}, md5]);
    for (
      const [key, init] of [
        ["typed", { headers: { "content-type": "text/plain" } }],
        ["larger", { body: pseudoRandomBytes(16 * 1024 + 1, 3) }],
      ] as const
    ) {
      await raw(`${t.url}/${B}/${key}`, { method: "PUT", body, ...init });
      assertEquals(await exists(sidecar(key)), true, key);
    }

    // Tags on a plain object: a sidecar appears, with the same ETag.
    const tagged = await raw(`${t.url}/${B}/plain?tagging`, {
      method: "PUT",
      body: "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
    });
    assertEquals(tagged.status, 200, tagged.text);
    assertEquals(await exists(sidecar("plain")), true);
    const after = await fetch(`${t.url}/${B}/plain`, { method: "HEAD" });
    assertEquals([after.headers.get("etag"), after.headers.get("x-amz-tagging-count")], [md5, "1"]);

    // Deleting plain objects, nested ones too, leaves no directories behind.
    await raw(`${t.url}/${B}/deep/er/plain`, { method: "PUT", body });
    assertEquals(await exists(`${t.dataDir}/.geckos3/meta/${B}/deep`), false);
    assertEquals((await raw(`${t.url}/${B}/deep/er/plain`, { method: "DELETE" })).status, 204);
    assertEquals(await exists(`${t.dataDir}/${B}/deep`), false);
    assertEquals((await fetch(`${t.url}/${B}/deep/er/plain`, { method: "HEAD" })).status, 404);

    // Files placed by hand: small ones get the MD5 of their bytes, large ones a pseudo-ETag.
    await Deno.writeTextFile(`${t.dataDir}/${B}/by-hand.txt`, "hello");
    const hand = await fetch(`${t.url}/${B}/by-hand.txt`, { method: "HEAD" });
    assertEquals(hand.headers.get("etag"), `"${await md5Hex(text("hello"))}"`);
    const big = pseudoRandomBytes(20_000, 5);
    await Deno.writeFile(`${t.dataDir}/${B}/by-hand.bin`, big);
    const bigHead = await fetch(`${t.url}/${B}/by-hand.bin`, { method: "HEAD" });
    assert(bigHead.headers.get("etag") !== `"${await md5Hex(big)}"`);
    assertEquals(bigHead.headers.get("content-length"), "20000");
  },
);

serverTest(
  "every checksum algorithm of current SDKs is verified, stored and returned",
  async (t) => {
    // The SDK's own implementations of the newer algorithms, as its documentation has them set.
    const s3 = sdkClient(t.url, {
      checksumAlgorithms: {
        SHA512: Sha512,
        MD5: Md5,
        XXHASH64: Xxh64,
        XXHASH3: Xxh3_64,
        XXHASH128: Xxh3_128,
      },
    });
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const body = "checksummed bytes ".repeat(1000);
    const algorithms = ["SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128", "CRC64NVME"] as const;
    for (const alg of algorithms) {
      const key = `sum-${alg}`;
      const put = await s3.send(
        new PutObjectCommand({ Bucket: B, Key: key, Body: body, ChecksumAlgorithm: alg }),
      );
      const sent = (put as unknown as Record<string, string>)[`Checksum${alg}`];
      assert(sent, `${alg}: no checksum in the PutObject response`);
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: B, Key: key, ChecksumMode: "ENABLED" }),
      );
      assertEquals((head as unknown as Record<string, string>)[`Checksum${alg}`], sent, alg);
      // The SDK checks the checksum of what it reads against the one returned.
      const got = await s3.send(
        new GetObjectCommand({ Bucket: B, Key: key, ChecksumMode: "ENABLED" }),
      );
      assertEquals(await got.Body!.transformToString(), body, alg);
    }
    const wrong = await raw(`${t.url}/${B}/wrong`, {
      method: "PUT",
      body,
      headers: { "x-amz-checksum-xxhash64": "AAAAAAAAAAA=" },
    });
    assertEquals([wrong.status, errorCode(wrong.text)], [400, "BadDigest"]);
  },
);

/** Bucket operations against a real server. */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { errorCode, raw, sdkClient, serverTest } from "./support/server.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";

serverTest("create, list, head, locate and delete buckets", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: "zeta-bucket" }));
  const created = await t.s3.send(new CreateBucketCommand({ Bucket: "alpha.bucket" }));
  assertEquals(created.Location, "/alpha.bucket");
  const list = await t.s3.send(new ListBucketsCommand({}));
  assertEquals(list.Buckets?.map((b) => b.Name), ["alpha.bucket", "zeta-bucket"]);
  assert(list.Buckets?.[0].CreationDate instanceof Date);
  assertEquals(list.Owner?.DisplayName, "geckos3");

  const head = await t.s3.send(new HeadBucketCommand({ Bucket: "alpha.bucket" }));
  assertEquals(head.$metadata.httpStatusCode, 200);
  assertEquals(head.BucketRegion, "us-east-1");
  const loc = await t.s3.send(new GetBucketLocationCommand({ Bucket: "alpha.bucket" }));
  assertEquals(loc.LocationConstraint, undefined);
  const rawLoc = await raw(`${t.url}/alpha.bucket?location`);
  assert(rawLoc.text.includes("<LocationConstraint"));

  // Creating it again: 200 in us-east-1, as S3 answers there (BucketAlreadyOwnedByYou elsewhere).
  await t.s3.send(new CreateBucketCommand({ Bucket: "alpha.bucket" }));
  await t.s3.send(new DeleteBucketCommand({ Bucket: "alpha.bucket" }));
  await assertS3Error(
    () => t.s3.send(new HeadBucketCommand({ Bucket: "alpha.bucket" })),
    "NotFound",
    404,
  );
  await assertS3Error(
    () => t.s3.send(new DeleteBucketCommand({ Bucket: "alpha.bucket" })),
    "NoSuchBucket",
    404,
  );
  await assertS3Error(
    () => t.s3.send(new GetBucketLocationCommand({ Bucket: "alpha.bucket" })),
    "NoSuchBucket",
    404,
  );
});

serverTest("invalid bucket names are InvalidBucketName and create nothing", async (t) => {
  for (
    const name of [
      "ab",
      "Upper",
      "-lead",
      "trail-",
      "dou..ble",
      "under_score",
      "192.168.1.1",
      "a".repeat(64),
    ]
  ) {
    const r = await raw(`${t.url}/${name}`, { method: "PUT" });
    assertEquals([r.status, errorCode(r.text)], [400, "InvalidBucketName"], name);
  }
  const r = await raw(`${t.url}/.geckos3`, { method: "PUT" });
  assertEquals(r.status, 400);
  assertEquals([...Deno.readDirSync(t.dataDir)].map((e) => e.name), [".geckos3"]);
});

serverTest(
  "a bucket holding objects is BucketNotEmpty; empty directories left by hand do not count",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: "full" }));
    await t.s3.send(
      new PutObjectCommand({ Bucket: "full", Key: "a/b", Body: new Uint8Array([1]) }),
    );
    await assertS3Error(
      () => t.s3.send(new DeleteBucketCommand({ Bucket: "full" })),
      "BucketNotEmpty",
      409,
    );
    assert(Deno.statSync(`${t.dataDir}/full/a/b`).isFile);

    await t.s3.send(new CreateBucketCommand({ Bucket: "hollow" }));
    Deno.mkdirSync(`${t.dataDir}/hollow/x/y/z`, { recursive: true });
    await t.s3.send(new DeleteBucketCommand({ Bucket: "hollow" }));
    assertEquals(Deno.statSync(`${t.dataDir}/full`).isDirectory, true);
  },
);

serverTest("a directory created by hand is a bucket; other entries are not", async (t) => {
  Deno.mkdirSync(`${t.dataDir}/by-hand`);
  Deno.mkdirSync(`${t.dataDir}/Not_A_Bucket`);
  Deno.writeTextFileSync(`${t.dataDir}/stray-file`, "x");
  Deno.writeTextFileSync(`${t.dataDir}/by-hand/hello.txt`, "made by hand");
  const list = await t.s3.send(new ListBucketsCommand({}));
  assertEquals(list.Buckets?.map((b) => b.Name), ["by-hand"]);
  const r = await raw(`${t.url}/by-hand/hello.txt`);
  assertEquals([r.status, r.text], [200, "made by hand"]);
  // No sidecar: the ETag is a stable pseudo ETag and the type the default.
  const again = await fetch(`${t.url}/by-hand/hello.txt`, { method: "HEAD" });
  assertEquals(again.headers.get("etag"), r.headers.get("etag"));
  assertEquals(again.headers.get("content-type"), "binary/octet-stream");
});

serverTest("unsupported methods on the service are MethodNotAllowed", async (t) => {
  const r = await raw(`${t.url}/`, { method: "DELETE" });
  assertEquals([r.status, errorCode(r.text)], [405, "MethodNotAllowed"]);
});

serverTest(
  "outside us-east-1, creating a bucket you own again is BucketAlreadyOwnedByYou",
  async (t) => {
    const s3 = sdkClient(t.url, { region: "eu-west-1" });
    await s3.send(new CreateBucketCommand({ Bucket: "owned-twice" }));
    await assertS3Error(
      () => s3.send(new CreateBucketCommand({ Bucket: "owned-twice" })),
      "BucketAlreadyOwnedByYou",
      409,
    );
  },
  { region: "eu-west-1" },
);

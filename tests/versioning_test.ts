/** Versioning with the AWS SDK v3 and raw HTTP: versions, delete markers, the null version, listing. */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "./deps/aws_sdk.ts";
import { bytesOf, errorCode, raw, serverTest } from "./support/server.ts";
import { listVersionsRaw } from "./support/versions.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";

const B = "versioned";
const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

async function versionedBucket(s3: S3Client, status: "Enabled" | "Suspended" = "Enabled") {
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: status } }),
  );
}

async function put(s3: S3Client, key: string, body: string): Promise<string> {
  const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: text(body) }));
  return r.VersionId!;
}

async function getText(s3: S3Client, key: string, versionId?: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: key, VersionId: versionId }));
  return decode(await bytesOf(r.Body));
}

/** Every version and marker of the bucket in the server's order: [key, id, latest, marker]. */
async function allVersions(url: string, pageSize = 1000, prefix?: string) {
  const listed = await listVersionsRaw(url, B, { pageSize, prefix });
  return listed.map((v): [string, string, boolean, boolean] => [v.key, v.id, v.latest, v.marker]);
}

serverTest("GetBucketVersioning and PutBucketVersioning: states, bad documents, MFA", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const before = await t.s3.send(new GetBucketVersioningCommand({ Bucket: B }));
  assertEquals(before.Status, undefined);
  const plain = await raw(`${t.url}/${B}?versioning`);
  assertEquals(plain.status, 200);
  assert(plain.text.includes("<VersioningConfiguration"), plain.text);
  assert(!plain.text.includes("<Status>"), plain.text);
  for (const status of ["Enabled", "Suspended", "Enabled"] as const) {
    await t.s3.send(
      new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: status } }),
    );
    assertEquals((await t.s3.send(new GetBucketVersioningCommand({ Bucket: B }))).Status, status);
  }
  for (
    const body of [
      "",
      "<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>",
      "junk",
    ]
  ) {
    const r = await raw(`${t.url}/${B}?versioning`, { method: "PUT", body });
    assertEquals([r.status, errorCode(r.text)], [400, "MalformedXML"], body);
  }
  const mfa = await raw(`${t.url}/${B}?versioning`, {
    method: "PUT",
    body:
      "<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>",
  });
  assertEquals([mfa.status, errorCode(mfa.text)], [501, "NotImplemented"]);
  assert(mfa.text.includes("MFA delete"), mfa.text);
  assertEquals((await t.s3.send(new GetBucketVersioningCommand({ Bucket: B }))).Status, "Enabled");
  await assertS3Error(
    () => t.s3.send(new GetBucketVersioningCommand({ Bucket: "no-such-bucket" })),
    "NoSuchBucket",
    404,
  );
});

serverTest("every write makes a version; each is read back whole by its id", async (t) => {
  await versionedBucket(t.s3);
  const v1 = await put(t.s3, "doc.txt", "first");
  const v2 = await put(t.s3, "doc.txt", "second, longer");
  assert(v1 && v2 && v1 !== v2, `${v1} ${v2}`);
  assertEquals(await getText(t.s3, "doc.txt"), "second, longer");
  assertEquals(await getText(t.s3, "doc.txt", v1), "first");
  assertEquals(await getText(t.s3, "doc.txt", v2), "second, longer");
  const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "doc.txt", VersionId: v1 }));
  assertEquals([head.ContentLength, head.VersionId], [5, v1]);
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "doc.txt" }));
  assertEquals(got.VersionId, v2);
  await bytesOf(got.Body);
  // The current version is the plain file; the older one a plain file in the versions tree.
  assertEquals(await Deno.readTextFile(`${t.dataDir}/${B}/doc.txt`), "second, longer");
  const old = `${t.dataDir}/.geckos3/versions/${B}/doc.txt/%v/${v1}`;
  assertEquals(await Deno.readTextFile(old), "first");
  // Conditions and ETags are per version.
  const e1 = (await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "doc.txt", VersionId: v1 })))
    .ETag!;
  const ok = await raw(`${t.url}/${B}/doc.txt?versionId=${v1}`, { headers: { "if-match": e1 } });
  assertEquals([ok.status, ok.text], [200, "first"]);
  const stale = await raw(`${t.url}/${B}/doc.txt`, { headers: { "if-match": e1 } });
  assertEquals(stale.status, 412);
  // A copy and a multipart completion make versions too.
  const copy = await t.s3.send(
    new CopyObjectCommand({
      Bucket: B,
      Key: "doc.txt",
      CopySource: `${B}/doc.txt?versionId=${v1}`,
    }),
  );
  assertEquals(copy.CopySourceVersionId, v1);
  assert(copy.VersionId && copy.VersionId !== v2);
  assertEquals(await getText(t.s3, "doc.txt"), "first");
  const up = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "doc.txt" }));
  const part = await t.s3.send(
    new UploadPartCopyCommand({
      Bucket: B,
      Key: "doc.txt",
      UploadId: up.UploadId,
      PartNumber: 1,
      CopySource: `${B}/doc.txt?versionId=${v2}`,
    }),
  );
  assertEquals(part.CopySourceVersionId, v2);
  const done = await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: "doc.txt",
      UploadId: up.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag }] },
    }),
  );
  assert(done.VersionId && ![v1, v2, copy.VersionId].includes(done.VersionId));
  assert(done.ETag!.endsWith('-1"'), done.ETag);
  const versions = (await allVersions(t.url)).map((v) => v[1]);
  assertEquals(versions, [done.VersionId!, copy.VersionId!, v2, v1]);
  const h2 = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "doc.txt", VersionId: v2 }));
  assert(!h2.ETag!.endsWith('-1"'), "the multipart ETag belongs to its version only");
});

serverTest("a delete adds a marker; deleting by id removes versions and markers", async (t) => {
  await versionedBucket(t.s3);
  const v1 = await put(t.s3, "k", "one");
  const v2 = await put(t.s3, "k", "two");
  const del = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
  assertEquals(del.DeleteMarker, true);
  const marker = del.VersionId!;
  assert(marker && marker !== v2);
  // The key is gone for plain reads: 404 saying it is a delete marker.
  const gone = await raw(`${t.url}/${B}/k`);
  assertEquals([gone.status, errorCode(gone.text)], [404, "NoSuchKey"]);
  assertEquals(gone.headers.get("x-amz-delete-marker"), "true");
  assertEquals(gone.headers.get("x-amz-version-id"), marker);
  // Named by its id, a marker is 405.
  const named = await raw(`${t.url}/${B}/k?versionId=${marker}`);
  assertEquals([named.status, errorCode(named.text)], [405, "MethodNotAllowed"]);
  assertEquals(named.headers.get("x-amz-delete-marker"), "true");
  const namedHead = await raw(`${t.url}/${B}/k?versionId=${marker}`, { method: "HEAD" });
  assertEquals(namedHead.status, 405);
  assertEquals(await getText(t.s3, "k", v2), "two");
  const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: B }));
  assertEquals(listed.KeyCount, 0);
  assertEquals(await allVersions(t.url), [
    ["k", marker, true, true],
    ["k", v2, false, false],
    ["k", v1, false, false],
  ]);
  // Removing the marker makes v2 current again.
  const undo = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: marker }));
  assertEquals([undo.DeleteMarker, undo.VersionId], [true, marker]);
  assertEquals(await getText(t.s3, "k"), "two");
  assertEquals(await Deno.readTextFile(`${t.dataDir}/${B}/k`), "two");
  // Removing the current version makes the next newest current.
  const rm = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: v2 }));
  assertEquals(rm.VersionId, v2);
  assertEquals(await getText(t.s3, "k"), "one");
  assertEquals((await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "k" }))).VersionId, v1);
  await assertS3Error(
    () => t.s3.send(new GetObjectCommand({ Bucket: B, Key: "k", VersionId: v2 })),
    "NoSuchVersion",
    404,
  );
  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: v1 }));
  assertEquals(await allVersions(t.url), []);
  await assertS3Error(() => t.s3.send(new GetObjectCommand({ Bucket: B, Key: "k" })), "NoSuchKey");
  // Nothing is left on disk: no file, no empty directories of the key.
  const left: string[] = [];
  for await (const e of Deno.readDir(`${t.dataDir}/.geckos3/versions/${B}`)) left.push(e.name);
  assertEquals(left, []);
  await t.s3.send(new DeleteBucketCommand({ Bucket: B }));
});

serverTest("bad version ids: 400 InvalidArgument, unknown ones 404 NoSuchVersion", async (t) => {
  await versionedBucket(t.s3);
  const v1 = await put(t.s3, "k", "one");
  for (const bad of ["nonsense", "../../etc/passwd", "%2e%2e", "x".repeat(19)]) {
    const r = await raw(`${t.url}/${B}/k?versionId=${bad}`);
    assertEquals([r.status, errorCode(r.text)], [400, "InvalidArgument"], bad);
    const d = await raw(`${t.url}/${B}/k?versionId=${bad}`, { method: "DELETE" });
    assertEquals([d.status, errorCode(d.text)], [400, "InvalidArgument"], bad);
  }
  const empty = await raw(`${t.url}/${B}/k?versionId=`);
  assertEquals([empty.status, errorCode(empty.text)], [400, "InvalidArgument"]);
  const unknown = "0".repeat(19);
  const r = await raw(`${t.url}/${B}/k?versionId=${unknown}`);
  assertEquals([r.status, errorCode(r.text)], [404, "NoSuchVersion"]);
  await assertS3Error(
    () =>
      t.s3.send(
        new PutObjectTaggingCommand({
          Bucket: B,
          Key: "k",
          VersionId: unknown,
          Tagging: { TagSet: [] },
        }),
      ),
    "NoSuchVersion",
    404,
  );
  const copy = await raw(`${t.url}/${B}/copy`, {
    method: "PUT",
    headers: { "x-amz-copy-source": `${B}/k?versionId=bogus` },
  });
  assertEquals([copy.status, errorCode(copy.text)], [400, "InvalidArgument"]);
  // Deleting a version that does not exist succeeds and changes nothing.
  const d = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: unknown }));
  assertEquals(d.VersionId, unknown);
  assertEquals(await getText(t.s3, "k"), "one");
  assertEquals((await allVersions(t.url)).map((v) => v[1]), [v1]);
  const vm = await raw(`${t.url}/${B}?versions&version-id-marker=${v1}`);
  assertEquals([vm.status, errorCode(vm.text)], [400, "InvalidArgument"]);
});

serverTest("the null version: written before versioning and while suspended", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const before = await t.s3.send(
    new PutObjectCommand({ Bucket: B, Key: "k", Body: text("before") }),
  );
  assertEquals(before.VersionId, undefined);
  await t.s3.send(
    new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }),
  );
  const h = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "k" }));
  assertEquals(h.VersionId, "null");
  const v1 = await put(t.s3, "k", "enabled");
  assertEquals(await getText(t.s3, "k", "null"), "before");
  assertEquals(await allVersions(t.url), [["k", v1, true, false], ["k", "null", false, false]]);
  await t.s3.send(
    new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Suspended" } }),
  );
  const s1 = await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: text("susp 1") }));
  assertEquals(s1.VersionId, "null");
  // The Suspended write replaced the null version and kept v1.
  assertEquals(await allVersions(t.url), [["k", "null", true, false], ["k", v1, false, false]]);
  const s2 = await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: text("susp 2") }));
  assertEquals(s2.VersionId, "null");
  assertEquals(await allVersions(t.url), [["k", "null", true, false], ["k", v1, false, false]]);
  assertEquals(await getText(t.s3, "k", "null"), "susp 2");
  assertEquals(await getText(t.s3, "k", v1), "enabled");
  // A Suspended delete makes a null delete marker, which replaces the null version.
  const del = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
  assertEquals([del.DeleteMarker, del.VersionId], [true, "null"]);
  assertEquals(await allVersions(t.url), [["k", "null", true, true], ["k", v1, false, false]]);
  // Enabled again: a new version above the null marker.
  await t.s3.send(
    new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }),
  );
  const v2 = await put(t.s3, "k", "again");
  assertEquals(await allVersions(t.url), [
    ["k", v2, true, false],
    ["k", "null", false, true],
    ["k", v1, false, false],
  ]);
  // Versioning cannot be turned off: only suspended.
  const off = await raw(`${t.url}/${B}?versioning`, {
    method: "PUT",
    body: "<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>",
  });
  assertEquals([off.status, errorCode(off.text)], [400, "MalformedXML"]);
});

serverTest(
  "ListObjectVersions: order, exact paging, prefix, delimiter, url encoding",
  async (t) => {
    await versionedBucket(t.s3);
    const want: [string, string, boolean, boolean][] = [];
    const keys = ["a", "b/1", "b/2", "c d", "z"];
    for (const key of keys) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await put(t.s3, key, `${key}#${i}`));
      ids.reverse().forEach((id, i) => want.push([key, id, i === 0, false]));
    }
    const marker = (await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "z" }))).VersionId!;
    want.splice(want.length - 3, 0, ["z", marker, true, true]);
    for (let i = want.length - 3; i < want.length; i++) want[i][2] = false;
    assertEquals(await allVersions(t.url), want);
    for (const size of [1, 2, 4, 7]) {
      assertEquals(
        await allVersions(t.url, size),
        want,
        `pages of ${size}`,
      );
    }
    assertEquals(await allVersions(t.url, 1000, "b/"), want.filter((w) => w[0].startsWith("b/")));
    const rolled = await t.s3.send(new ListObjectVersionsCommand({ Bucket: B, Delimiter: "/" }));
    assertEquals(rolled.CommonPrefixes?.map((p) => p.Prefix), ["b/"]);
    assertEquals(rolled.Versions?.filter((v) => v.Key!.startsWith("b")).length ?? 0, 0);
    const enc = await raw(`${t.url}/${B}?versions&encoding-type=url&prefix=c`);
    assert(enc.text.includes("<Key>c%20d</Key>"), enc.text);
    assert(enc.text.includes("<EncodingType>url</EncodingType>"), enc.text);
    // ListObjects still shows current versions only.
    const current = await t.s3.send(new ListObjectsV2Command({ Bucket: B }));
    assertEquals(current.Contents?.map((c) => c.Key), ["a", "b/1", "b/2", "c d"]);
    await assertS3Error(
      () => t.s3.send(new ListObjectVersionsCommand({ Bucket: "no-such-bucket" })),
      "NoSuchBucket",
      404,
    );
  },
);

serverTest("tags, attributes and DeleteObjects name versions", async (t) => {
  await versionedBucket(t.s3);
  const v1 = await put(t.s3, "k", "one");
  const v2 = await put(t.s3, "k", "two!");
  const tagged = await t.s3.send(
    new PutObjectTaggingCommand({
      Bucket: B,
      Key: "k",
      VersionId: v1,
      Tagging: { TagSet: [{ Key: "age", Value: "old" }] },
    }),
  );
  assertEquals(tagged.VersionId, v1);
  const t1 = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "k", VersionId: v1 }));
  assertEquals([t1.VersionId, t1.TagSet], [v1, [{ Key: "age", Value: "old" }]]);
  const t2 = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "k" }));
  assertEquals([t2.VersionId, t2.TagSet], [v2, []]);
  assertEquals(await getText(t.s3, "k", v1), "one", "tagging keeps the bytes");
  await t.s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: "k", VersionId: v1 }));
  const t3 = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "k", VersionId: v1 }));
  assertEquals(t3.TagSet, []);
  const attrs = await t.s3.send(
    new GetObjectAttributesCommand({
      Bucket: B,
      Key: "k",
      VersionId: v1,
      ObjectAttributes: ["ObjectSize", "ETag"],
    }),
  );
  assertEquals([attrs.ObjectSize, attrs.VersionId], [3, v1]);
  const marker = (await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }))).VersionId!;
  await assertS3Error(
    () =>
      t.s3.send(
        new PutObjectTaggingCommand({
          Bucket: B,
          Key: "k",
          VersionId: marker,
          Tagging: { TagSet: [] },
        }),
      ),
    "MethodNotAllowed",
    405,
  );
  const batch = await t.s3.send(
    new DeleteObjectsCommand({
      Bucket: B,
      Delete: {
        Objects: [{ Key: "k", VersionId: v1 }, { Key: "k", VersionId: marker }, { Key: "new" }],
      },
    }),
  );
  const byKey = (batch.Deleted ?? []).map((d) => [d.Key, d.VersionId, d.DeleteMarker ?? false]);
  assertEquals(byKey.slice(0, 2), [["k", v1, false], ["k", marker, true]]);
  const made = batch.Deleted![2];
  assertEquals([made.Key, made.DeleteMarker], ["new", true]);
  assert(made.DeleteMarkerVersionId, "a marker was made for the new key");
  assertEquals(await getText(t.s3, "k"), "two!");
  await assertS3Error(
    () => t.s3.send(new DeleteBucketCommand({ Bucket: B })),
    "BucketNotEmpty",
    409,
  );
  const ren = await raw(`${t.url}/${B}/renamed?renameObject`, {
    method: "PUT",
    headers: { "x-amz-rename-source": `/${B}/k` },
  });
  assertEquals([ren.status, errorCode(ren.text)], [400, "InvalidRequest"]);
});

serverTest("a key with many versions: newest first, paged exactly", async (t) => {
  await versionedBucket(t.s3);
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) ids.push(await put(t.s3, "hot", String(i)));
  ids.reverse();
  const paged = await allVersions(t.url, 7);
  assertEquals(paged.map((p) => p[1]), ids);
  assertEquals(paged.filter((p) => p[2]).length, 1);
  // Upload part of a version in the middle.
  const up = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "other" }));
  const p = await t.s3.send(
    new UploadPartCommand({
      Bucket: B,
      Key: "other",
      UploadId: up.UploadId,
      PartNumber: 1,
      Body: text("x"),
    }),
  );
  await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: "other",
      UploadId: up.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] },
    }),
  );
  assertEquals(await getText(t.s3, "hot", ids[30]), "29");
});

serverTest("metrics count noncurrent versions, their bytes and delete markers", async (t) => {
  await versionedBucket(t.s3);
  await put(t.s3, "k", "12345");
  await put(t.s3, "k", "123");
  await put(t.s3, "k", "1");
  await put(t.s3, "other", "x");
  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "other" }));
  const m = await raw(`${t.url}/metrics`);
  assertEquals(m.status, 200);
  for (
    const line of [
      `geckos3_bucket_objects{bucket="${B}"} 1`,
      `geckos3_bucket_noncurrent_versions{bucket="${B}"} 3`,
      `geckos3_bucket_noncurrent_bytes{bucket="${B}"} 9`,
      `geckos3_bucket_delete_markers{bucket="${B}"} 1`,
      "geckos3_stored_noncurrent_versions 3",
      "geckos3_stored_noncurrent_bytes 9",
    ]
  ) assert(m.text.includes(line), `${line}\n${m.text}`);
}, { metrics: true });

serverTest("checksums are kept per version", async (t) => {
  await versionedBucket(t.s3);
  const sums: string[] = [];
  const ids: string[] = [];
  for (const body of ["alpha", "beta"]) {
    const r = await t.s3.send(
      new PutObjectCommand({ Bucket: B, Key: "k", Body: text(body), ChecksumAlgorithm: "CRC32" }),
    );
    ids.push(r.VersionId!);
    sums.push(r.ChecksumCRC32!);
  }
  assert(sums[0] !== sums[1]);
  for (const i of [0, 1]) {
    const h = await t.s3.send(
      new HeadObjectCommand({ Bucket: B, Key: "k", VersionId: ids[i], ChecksumMode: "ENABLED" }),
    );
    assertEquals(h.ChecksumCRC32, sums[i], `version ${i}`);
  }
});

serverTest("with -metadata=false, versioning is refused clearly", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const r = await raw(`${t.url}/${B}?versioning`, {
    method: "PUT",
    body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
  });
  assertEquals([r.status, errorCode(r.text)], [501, "NotImplemented"]);
  assert(r.text.includes("-metadata=true"), r.text);
  const get = await raw(`${t.url}/${B}?versioning`);
  assert(!get.text.includes("<Status>"), get.text);
}, { metadata: false });

serverTest(
  "small plain versions keep no metadata file: their ids come from the file",
  async (t) => {
    await versionedBucket(t.s3);
    // Raw PUTs of bytes: the SDK would add a checksum (and fetch a type to a string body),
    // which a metadata file keeps.
    const rawPut = async (key: string, body: string) => {
      const r = await raw(`${t.url}/${B}/${key}`, { method: "PUT", body: text(body) });
      assertEquals(r.status, 200);
      return r.headers.get("x-amz-version-id")!;
    };
    const v1 = await rawPut("plain.bin", "tiny");
    const meta = `${t.dataDir}/.geckos3/meta/${B}/plain.bin`;
    assertEquals(await Deno.stat(meta).then(() => "sidecar", () => "none"), "none");
    // The id is the one a reader derives from the file.
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "plain.bin" }));
    assertEquals(head.VersionId, v1);
    const v2 = await rawPut("plain.bin", "tinier");
    assert(v2 !== v1);
    assertEquals(await allVersions(t.url), [
      ["plain.bin", v2, true, false],
      ["plain.bin", v1, false, false],
    ]);
    assertEquals(await getText(t.s3, "plain.bin", v1), "tiny");
    // Tagging the current version gives it a metadata file that keeps its id.
    await t.s3.send(
      new PutObjectTaggingCommand({
        Bucket: B,
        Key: "plain.bin",
        Tagging: { TagSet: [{ Key: "k", Value: "v" }] },
      }),
    );
    assertEquals(await Deno.stat(meta).then(() => "sidecar", () => "none"), "sidecar");
    assertEquals(
      (await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "plain.bin" }))).VersionId,
      v2,
    );
    // Suspended: a plain write is the null version, still without a metadata file.
    await t.s3.send(
      new PutBucketVersioningCommand({
        Bucket: B,
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );
    assertEquals(await rawPut("other", "x"), "null");
    assertEquals(
      (await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "other" }))).VersionId,
      "null",
    );
    const other = `${t.dataDir}/.geckos3/meta/${B}/other`;
    assertEquals(await Deno.stat(other).then(() => "sidecar", () => "none"), "none");
  },
);

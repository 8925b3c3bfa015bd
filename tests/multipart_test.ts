/** Multipart uploads against a real server with the AWS SDK: round trips, S3 ETags, listings, copies, every error. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  Upload,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "./deps/aws_sdk.ts";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { crc32 as zlibCrc32 } from "node:zlib";
import {
  bytesOf,
  errorCode,
  leftoverTempFiles,
  md5Hex,
  multipartEtag,
  raw,
  rawHttp,
  serverTest,
  type TestServer,
} from "./support/server.ts";
import { assert, assertEquals, assertRejects } from "./support/assert.ts";
import { pseudoRandomBytes } from "./support/bytes.ts";

const B = "mpu-bucket";
const MiB = 1024 * 1024;

/** The S3 multipart ETag computed independently: MD5 over binary part MD5s, then -N. */
async function code(p: Promise<unknown>): Promise<string | undefined> {
  const e = await assertRejects(() => p);
  return (e as { name?: string }).name;
}

async function create(
  t: TestServer,
  key: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const r = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ...extra }));
  return r.UploadId!;
}

/** What multipart staging holds once background cleanup has finished. */
async function stagingEntries(t: TestServer): Promise<string[]> {
  await t.server.storage.idle();
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      out.push(e.name);
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
    }
  };
  await walk(`${t.dataDir}/.geckos3/multipart`).catch(() => {});
  return out;
}

serverTest(
  "lib-storage uploads 64 MiB in parallel parts with default checksums; ETag, bytes and metadata round-trip",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const data = pseudoRandomBytes(64 * MiB, 7);
    const partSize = 8 * MiB;
    const upload = new Upload({
      client: t.s3,
      params: {
        Bucket: B,
        Key: "big/object.bin",
        Body: Readable.from((function* () {
          for (let off = 0; off < data.byteLength; off += MiB) yield data.subarray(off, off + MiB);
        })()),
        ContentType: "application/x-test",
        Metadata: { author: "alice" },
        CacheControl: "max-age=60",
      },
      partSize,
      queueSize: 4,
    });
    const done = await upload.done();
    assertEquals(done.ETag, multipartEtag(data, partSize));
    const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "big/object.bin" }));
    assertEquals(got.ETag, multipartEtag(data, partSize));
    assertEquals(got.ContentType, "application/x-test");
    assertEquals(got.Metadata, { author: "alice" });
    assertEquals(got.CacheControl, "max-age=60");
    assertEquals(await md5Hex(await bytesOf(got.Body)), await md5Hex(data));
    assertEquals(await stagingEntries(t), [B]);
    const list = await t.s3.send(new ListObjectsV2Command({ Bucket: B }));
    assertEquals(list.Contents?.map((c) => [c.Key, c.Size, c.ETag]), [[
      "big/object.bin",
      data.byteLength,
      done.ETag,
    ]]);
  },
);

serverTest(
  "UploadPart/Complete validation: ids, part numbers, order, ETags, sizes, keys",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "victim", Body: "keep me" }));
    const id = await create(t, "k");
    const five = pseudoRandomBytes(5 * MiB, 1);
    const p1 = await t.s3.send(
      new UploadPartCommand({ Bucket: B, Key: "k", UploadId: id, PartNumber: 1, Body: five }),
    );
    const p2 = await t.s3.send(
      new UploadPartCommand({ Bucket: B, Key: "k", UploadId: id, PartNumber: 2, Body: "tail" }),
    );
    const small = await t.s3.send(
      new UploadPartCommand({ Bucket: B, Key: "k", UploadId: id, PartNumber: 3, Body: "small" }),
    );
    assertEquals(p1.ETag, `"${await md5Hex(five)}"`);
    // Unknown and crafted upload ids never reach the filesystem.
    for (const bad of ["nope", "../..", "..", `${id}/..`, id.slice(1) + "A"]) {
      assertEquals(
        await code(
          t.s3.send(
            new UploadPartCommand({ Bucket: B, Key: "k", UploadId: bad, PartNumber: 1, Body: "x" }),
          ),
        ),
        "NoSuchUpload",
      );
      assertEquals(
        await code(
          t.s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: "k", UploadId: bad })),
        ),
        "NoSuchUpload",
      );
      assertEquals(
        await code(t.s3.send(new ListPartsCommand({ Bucket: B, Key: "k", UploadId: bad }))),
        "NoSuchUpload",
      );
    }
    assertEquals(
      (await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "victim" }))).ContentLength,
      7,
    );
    // The key must match the upload's.
    assertEquals(
      await code(
        t.s3.send(
          new UploadPartCommand({
            Bucket: B,
            Key: "other",
            UploadId: id,
            PartNumber: 1,
            Body: "x",
          }),
        ),
      ),
      "NoSuchUpload",
    );
    for (const n of ["0", "10001", "abc", "-1"]) {
      const r = await raw(`${t.url}/${B}/k?partNumber=${n}&uploadId=${id}`, {
        method: "PUT",
        body: "x",
      });
      assertEquals([r.status, errorCode(r.text)], [400, "InvalidArgument"], n);
    }
    const complete = (parts: { PartNumber: number; ETag?: string }[], key = "k") =>
      t.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: B,
          Key: key,
          UploadId: id,
          MultipartUpload: { Parts: parts },
        }),
      );
    const emptyXml = `<CompleteMultipartUpload></CompleteMultipartUpload>`;
    const r = await raw(`${t.url}/${B}/k?uploadId=${id}`, { method: "POST", body: emptyXml });
    assertEquals([r.status, errorCode(r.text)], [400, "MalformedXML"]);
    assertEquals(
      await code(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }])),
      "InvalidPartOrder",
    );
    assertEquals(await code(complete([{ PartNumber: 1, ETag: p2.ETag }])), "InvalidPart");
    assertEquals(
      await code(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 4, ETag: p2.ETag }])),
      "InvalidPart",
    );
    assertEquals(
      await code(
        complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 3, ETag: small.ETag }, {
          PartNumber: 4,
          ETag: p2.ETag,
        }]),
      ),
      "InvalidPart",
    );
    const p4 = await t.s3.send(
      new UploadPartCommand({ Bucket: B, Key: "k", UploadId: id, PartNumber: 4, Body: "four" }),
    );
    assertEquals(
      await code(
        complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 3, ETag: small.ETag }, {
          PartNumber: 4,
          ETag: p4.ETag,
        }]),
      ),
      "EntityTooSmall",
    );
    assertEquals(await code(complete([{ PartNumber: 1, ETag: p1.ETag }], "other")), "NoSuchUpload");
    // After all those failures the upload is intact and completes; re-uploading a part replaced it.
    const p2b = await t.s3.send(
      new UploadPartCommand({ Bucket: B, Key: "k", UploadId: id, PartNumber: 2, Body: "new tail" }),
    );
    const done = await complete([{ PartNumber: 1, ETag: p1.ETag }, {
      PartNumber: 2,
      ETag: p2b.ETag,
    }]);
    const expected = new Uint8Array(five.byteLength + 8);
    expected.set(five);
    expected.set(new TextEncoder().encode("new tail"), five.byteLength);
    assertEquals(done.ETag, multipartEtag(expected, 5 * MiB));
    const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "k" }));
    assertEquals(await md5Hex(await bytesOf(got.Body)), await md5Hex(expected));
    assertEquals(await code(complete([{ PartNumber: 1, ETag: p1.ETag }])), "NoSuchUpload");
    assertEquals(await stagingEntries(t), [B]);
  },
);

serverTest("concurrent completes of one upload: one object, never corrupt", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const id = await create(t, "race");
  const a = pseudoRandomBytes(5 * MiB, 3);
  const p1 = await t.s3.send(
    new UploadPartCommand({ Bucket: B, Key: "race", UploadId: id, PartNumber: 1, Body: a }),
  );
  const p2 = await t.s3.send(
    new UploadPartCommand({ Bucket: B, Key: "race", UploadId: id, PartNumber: 2, Body: "end" }),
  );
  const parts = [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }];
  const results = await Promise.allSettled(
    Array.from(
      { length: 4 },
      () =>
        t.s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: B,
            Key: "race",
            UploadId: id,
            MultipartUpload: { Parts: parts },
          }),
        ),
    ),
  );
  const ok = results.filter((r) => r.status === "fulfilled");
  assert(ok.length >= 1);
  for (const r of results) {
    if (r.status === "rejected") assertEquals((r.reason as { name: string }).name, "NoSuchUpload");
  }
  const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "race" }));
  assertEquals(head.ContentLength, a.byteLength + 3);
  assertEquals(head.ETag, (ok[0] as PromiseFulfilledResult<{ ETag?: string }>).value.ETag);
});

serverTest(
  "ListParts and ListMultipartUploads page correctly; staging never shows in object listings",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const id = await create(t, "parts");
    for (let n = 1; n <= 5; n++) {
      await t.s3.send(
        new UploadPartCommand({
          Bucket: B,
          Key: "parts",
          UploadId: id,
          PartNumber: n,
          Body: `part ${n}`,
        }),
      );
    }
    let page = await t.s3.send(
      new ListPartsCommand({ Bucket: B, Key: "parts", UploadId: id, MaxParts: 2 }),
    );
    assertEquals([
      page.Parts?.map((p) => p.PartNumber),
      page.IsTruncated,
      page.NextPartNumberMarker,
    ], [[1, 2], true, "2"]);
    assertEquals(page.Parts?.[0].Size, 6);
    assertEquals(page.Parts?.[0].ETag, `"${await md5Hex("part 1")}"`);
    page = await t.s3.send(
      new ListPartsCommand({ Bucket: B, Key: "parts", UploadId: id, PartNumberMarker: "4" }),
    );
    assertEquals([page.Parts?.map((p) => p.PartNumber), page.IsTruncated], [[5], false]);
    const ids: Record<string, string> = { parts: id };
    for (const k of ["a/1", "a/2", "b", "c/x/y"]) ids[k] = await create(t, k);
    const second = await create(t, "b");
    let uploads = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: B }));
    assertEquals(uploads.Uploads?.map((u) => u.Key), ["a/1", "a/2", "b", "b", "c/x/y", "parts"]);
    uploads = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: B, Delimiter: "/" }));
    assertEquals(uploads.CommonPrefixes?.map((p) => p.Prefix), ["a/", "c/"]);
    assertEquals(uploads.Uploads?.map((u) => u.Key), ["b", "b", "parts"]);
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (let i = 0; i < 10; i++) {
      const p = await t.s3.send(
        new ListMultipartUploadsCommand({
          Bucket: B,
          MaxUploads: 2,
          KeyMarker: keyMarker,
          UploadIdMarker: idMarker,
        }),
      );
      seen.push(...(p.Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`));
      if (!p.IsTruncated) break;
      keyMarker = p.NextKeyMarker;
      idMarker = p.NextUploadIdMarker;
    }
    assertEquals(seen.length, 6);
    assertEquals(new Set(seen).size, 6);
    assert(seen.includes(`b:${second}`) && seen.includes(`b:${ids.b}`));
    uploads = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: "c/" }));
    assertEquals(uploads.Uploads?.map((u) => u.Key), ["c/x/y"]);
    const objects = await t.s3.send(new ListObjectsV2Command({ Bucket: B }));
    assertEquals(objects.KeyCount, 0);
  },
);

serverTest("UploadPartCopy copies whole objects and byte ranges", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const src = pseudoRandomBytes(6 * MiB, 9);
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "src", Body: src }));
  const id = await create(t, "copied");
  const c1 = await t.s3.send(
    new UploadPartCopyCommand({
      Bucket: B,
      Key: "copied",
      UploadId: id,
      PartNumber: 1,
      CopySource: `${B}/src`,
    }),
  );
  const c2 = await t.s3.send(
    new UploadPartCopyCommand({
      Bucket: B,
      Key: "copied",
      UploadId: id,
      PartNumber: 2,
      CopySource: `${B}/src`,
      CopySourceRange: "bytes=100-1123",
    }),
  );
  assertEquals(c1.CopyPartResult?.ETag, `"${await md5Hex(src)}"`);
  assertEquals(c2.CopyPartResult?.ETag, `"${await md5Hex(src.subarray(100, 1124))}"`);
  assertEquals(
    await code(t.s3.send(
      new UploadPartCopyCommand({
        Bucket: B,
        Key: "copied",
        UploadId: id,
        PartNumber: 3,
        CopySource: `${B}/src`,
        CopySourceRange: "bytes=0-99999999",
      }),
    )),
    "InvalidRange",
  );
  await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: "copied",
      UploadId: id,
      MultipartUpload: {
        Parts: [{ PartNumber: 1, ETag: c1.CopyPartResult?.ETag }, {
          PartNumber: 2,
          ETag: c2.CopyPartResult?.ETag,
        }],
      },
    }),
  );
  const got = await bytesOf(
    (await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "copied" }))).Body,
  );
  assertEquals(got.byteLength, src.byteLength + 1024);
  assertEquals(await md5Hex(got.subarray(src.byteLength)), await md5Hex(src.subarray(100, 1124)));
});

serverTest("aborting during an in-flight part upload leaves nothing behind", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const id = await create(t, "aborted");
  let push!: (c: Uint8Array | null) => void;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (c) => (c ? controller.enqueue(c) : controller.close());
    },
  });
  const inflight = raw(`${t.url}/${B}/aborted?partNumber=1&uploadId=${id}`, {
    method: "PUT",
    body,
    headers: { "content-length": "2000000" },
  });
  push(new Uint8Array(1_000_000));
  await new Promise((r) => setTimeout(r, 100));
  await t.s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: "aborted", UploadId: id }));
  push(new Uint8Array(1_000_000));
  push(null);
  const r = await inflight;
  assertEquals([r.status, errorCode(r.text)], [404, "NoSuchUpload"]);
  assertEquals(await stagingEntries(t), [B]);
  assertEquals(await leftoverTempFiles(t.dataDir), []);
  assertEquals(
    await code(
      t.s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: "aborted", UploadId: id })),
    ),
    "NoSuchUpload",
  );
});

serverTest(
  "the sweep removes abandoned uploads but not active ones; checksums of parts compose",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const old = await create(t, "old");
    const id = await create(t, "sum", { ChecksumAlgorithm: "SHA256" });
    const a = pseudoRandomBytes(5 * MiB, 5);
    const p1 = await t.s3.send(
      new UploadPartCommand({
        Bucket: B,
        Key: "sum",
        UploadId: id,
        PartNumber: 1,
        Body: a,
        ChecksumAlgorithm: "SHA256",
      }),
    );
    const p2 = await t.s3.send(
      new UploadPartCommand({
        Bucket: B,
        Key: "sum",
        UploadId: id,
        PartNumber: 2,
        Body: "b",
        ChecksumAlgorithm: "SHA256",
      }),
    );
    assertEquals(p1.ChecksumSHA256, createHash("sha256").update(a).digest("base64"));
    const done = await t.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "sum",
        UploadId: id,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag, ChecksumSHA256: p1.ChecksumSHA256 },
            { PartNumber: 2, ETag: p2.ETag, ChecksumSHA256: p2.ChecksumSHA256 },
          ],
        },
      }),
    );
    const composite = createHash("sha256").update(Buffer.concat([
      Buffer.from(p1.ChecksumSHA256!, "base64"),
      Buffer.from(p2.ChecksumSHA256!, "base64"),
    ])).digest("base64") + "-2";
    assertEquals(done.ChecksumSHA256, composite);
    const head = await t.s3.send(
      new HeadObjectCommand({ Bucket: B, Key: "sum", ChecksumMode: "ENABLED" }),
    );
    assertEquals(head.ChecksumSHA256, composite);
    // Sweep as if a day had passed: the abandoned upload goes.
    assertEquals(await t.server.storage.uploads.sweep(3600_000, Date.now() + 86400_000), 1);
    assertEquals(
      await code(t.s3.send(new ListPartsCommand({ Bucket: B, Key: "old", UploadId: old }))),
      "NoSuchUpload",
    );
    // An upload with recent activity stays.
    const fresh = await create(t, "fresh");
    assertEquals(await t.server.storage.uploads.sweep(3600_000), 0);
    await t.s3.send(new ListPartsCommand({ Bucket: B, Key: "fresh", UploadId: fresh }));
  },
);

// ------------------------------------------------------------- parts written in place

/** MD5 multipart ETag of the given part bodies, computed independently. */
function etagOfParts(parts: readonly Uint8Array[]): string {
  const h = createHash("md5");
  for (const p of parts) h.update(createHash("md5").update(p).digest());
  return `"${h.digest("hex")}-${parts.length}"`;
}

/** Inode of an upload's in-place assembly file. */
function assemblyInode(t: TestServer, uploadId: string): number {
  return Deno.statSync(`${t.dataDir}/.geckos3/multipart/${B}/${uploadId}/assembly.bin`).ino!;
}

/** Uploads parts in the given order; returns their ETags by part number. */
async function uploadParts(
  t: TestServer,
  key: string,
  uploadId: string,
  parts: readonly [number, Uint8Array][],
): Promise<Map<number, string>> {
  const etags = new Map<number, string>();
  for (const [n, body] of parts) {
    const r = await t.s3.send(
      new UploadPartCommand({ Bucket: B, Key: key, UploadId: uploadId, PartNumber: n, Body: body }),
    );
    etags.set(n, r.ETag!);
  }
  return etags;
}

/** Completes with the listed parts, then checks the object's bytes and ETag; returns its inode. */
async function completeAndCheck(
  t: TestServer,
  key: string,
  uploadId: string,
  listed: readonly [number, Uint8Array][],
  etags: Map<number, string>,
): Promise<number> {
  const done = await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: listed.map(([n]) => ({ PartNumber: n, ETag: etags.get(n) })) },
    }),
  );
  const bodies = listed.map(([, b]) => b);
  assertEquals(done.ETag, etagOfParts(bodies));
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
  assertEquals(got.ETag, etagOfParts(bodies));
  const whole = createHash("md5");
  for (const b of bodies) whole.update(b);
  assertEquals(await md5Hex(await bytesOf(got.Body)), whole.digest("hex"));
  return Deno.statSync(`${t.dataDir}/${B}/${key}`).ino!;
}

/**
 * Uploads parts in the given order (to `uploadId`, or a new upload), completes with `listed` and
 * checks the object; true when the object is the staged assembly file itself (nothing copied).
 */
async function roundTrip(
  t: TestServer,
  key: string,
  uploaded: readonly [number, Uint8Array][],
  listed: readonly [number, Uint8Array][],
  uploadId?: string,
): Promise<boolean> {
  const id = uploadId ?? await create(t, key);
  const etags = await uploadParts(t, key, id, uploaded);
  const staged = assemblyInode(t, id);
  return (await completeAndCheck(t, key, id, listed, etags)) === staged;
}

serverTest(
  "parts written in place become the object without a copy, in any upload order",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const p1 = pseudoRandomBytes(5 * MiB, 11);
    const p2 = pseudoRandomBytes(5 * MiB, 12);
    const p3 = pseudoRandomBytes(MiB + 3, 13);
    const parts: [number, Uint8Array][] = [[1, p1], [2, p2], [3, p3]];
    assert(await roundTrip(t, "inplace", [[2, p2], [3, p3], [1, p1]], parts));
    assertEquals(await stagingEntries(t), [B]);
    assertEquals(await leftoverTempFiles(t.dataDir), []);
  },
);

serverTest(
  "parts that cannot be used in place are copied, byte for byte",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const big = (seed: number) => pseudoRandomBytes(5 * MiB, seed);
    const small = (seed: number) => pseudoRandomBytes(MiB / 2 + seed, seed);

    // The last part arrived first: it fixed a part size the others do not fit.
    const a = [big(21), big(22), small(23)] as const;
    const aParts: [number, Uint8Array][] = [[1, a[0]], [2, a[1]], [3, a[2]]];
    assert(!await roundTrip(t, "last-first", [[3, a[2]], [1, a[0]], [2, a[1]]], aParts));

    // A part was uploaded again after its first version went in place.
    const b = [big(31), big(32), small(33), big(34)] as const;
    const bUploaded: [number, Uint8Array][] = [[1, b[0]], [2, b[1]], [3, b[2]], [2, b[3]]];
    assert(!await roundTrip(t, "replaced", bUploaded, [[1, b[0]], [2, b[3]], [3, b[2]]]));

    // Completed with a gap in the part numbers.
    const c: [number, Uint8Array][] = [[1, big(41)], [3, big(42)], [5, small(43)]];
    assert(!await roundTrip(t, "gap", c, c));

    // A part beyond the completed ones was uploaded too (the assembly file is longer).
    const d: [number, Uint8Array][] = [[1, big(51)], [2, big(52)], [3, small(53)]];
    assert(!await roundTrip(t, "extra", d, d.slice(0, 2)));

    // A part refused in place (bad Content-MD5) frees its range: the retry goes in place.
    const e: [number, Uint8Array][] = [[1, big(61)], [2, small(62)]];
    const idE = await create(t, "retried");
    const refused = await code(
      t.s3.send(
        new UploadPartCommand({
          Bucket: B,
          Key: "retried",
          UploadId: idE,
          PartNumber: 1,
          Body: e[0][1],
          ContentMD5: createHash("md5").update("other bytes").digest("base64"),
        }),
      ),
    );
    assertEquals(refused, "BadDigest");
    assert(await roundTrip(t, "retried", e, e, idE));

    assertEquals(await stagingEntries(t), [B]);
    assertEquals(await leftoverTempFiles(t.dataDir), []);
  },
);

serverTest(
  "a full-object CRC32 is the checksum of the whole object, whether parts were in place or copied",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const crc32Base64 = (parts: readonly Uint8Array[]) => {
      let crc = 0;
      for (const p of parts) crc = zlibCrc32(p, crc);
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc >>> 0);
      return out.toString("base64");
    };
    for (const reupload of [false, true]) {
      const key = reupload ? "full-copied" : "full-in-place";
      const id = (await t.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: B,
          Key: key,
          ChecksumAlgorithm: "CRC32",
          ChecksumType: "FULL_OBJECT",
        }),
      )).UploadId!;
      const bodies = [pseudoRandomBytes(5 * MiB, 71), pseudoRandomBytes(MiB + 1, 72)];
      const order = reupload ? [0, 1, 0] : [0, 1];
      const etags: string[] = [];
      for (const i of order) {
        const r = await t.s3.send(
          new UploadPartCommand({
            Bucket: B,
            Key: key,
            UploadId: id,
            PartNumber: i + 1,
            Body: bodies[i],
            ChecksumAlgorithm: "CRC32",
          }),
        );
        etags[i] = r.ETag!;
      }
      const staged = assemblyInode(t, id);
      const done = await t.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: B,
          Key: key,
          UploadId: id,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) },
        }),
      );
      assertEquals([done.ChecksumCRC32, done.ChecksumType], [crc32Base64(bodies), "FULL_OBJECT"]);
      const head = await t.s3.send(
        new HeadObjectCommand({ Bucket: B, Key: key, ChecksumMode: "ENABLED" }),
      );
      assertEquals(head.ChecksumCRC32, crc32Base64(bodies));
      const ino = Deno.statSync(`${t.dataDir}/${B}/${key}`).ino!;
      assertEquals(ino === staged, !reupload);
    }
  },
);

serverTest(
  "a part's recorded bytes survive a refused re-upload even when its range marker was lost",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const first = pseudoRandomBytes(5 * MiB, 81);
    const last = pseudoRandomBytes(MiB, 82);
    const id = await create(t, "marker-lost");
    const etags = await uploadParts(t, "marker-lost", id, [[1, first], [2, last]]);
    // As a power loss could: the part's record survives, its marker does not.
    Deno.removeSync(`${t.dataDir}/.geckos3/multipart/${B}/${id}/1.range`);
    const refused = await code(
      t.s3.send(
        new UploadPartCommand({
          Bucket: B,
          Key: "marker-lost",
          UploadId: id,
          PartNumber: 1,
          Body: pseudoRandomBytes(5 * MiB, 83),
          ContentMD5: createHash("md5").update("other bytes").digest("base64"),
        }),
      ),
    );
    assertEquals(refused, "BadDigest");
    const staged = assemblyInode(t, id);
    const ino = await completeAndCheck(t, "marker-lost", id, [[1, first], [2, last]], etags);
    assertEquals(ino, staged); // still the file written in place, with the first bytes
  },
);

serverTest(
  "a part cut off mid-body leaves no record and frees its range: the retry goes in place",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const first = pseudoRandomBytes(5 * MiB, 91);
    const last = pseudoRandomBytes(MiB, 92);
    const id = await create(t, "cut-off");
    const staging = `${t.dataDir}/.geckos3/multipart/${B}/${id}`;
    // 1 MiB of a declared 5 MiB, then the connection closes.
    const head = new TextEncoder().encode(
      `PUT /${B}/cut-off?partNumber=1&uploadId=${id} HTTP/1.1\r\nHost: x\r\n` +
        `Content-Length: ${first.byteLength}\r\n\r\n`,
    );
    await rawHttp(t, new Uint8Array([...head, ...first.subarray(0, MiB)]), true);
    // The server has handled it once the assembly file exists (created after the range was
    // claimed) and the range's marker is gone again.
    const exists = (name: string) => Deno.stat(`${staging}/${name}`).then(() => true, () => false);
    const handled = async () => (await exists("assembly.bin")) && !(await exists("1.range"));
    for (let i = 0; i < 100 && !(await handled()); i++) await new Promise((r) => setTimeout(r, 50));
    assert(await handled(), "the cut-off part still holds its range");
    const listed = await t.s3.send(
      new ListPartsCommand({ Bucket: B, Key: "cut-off", UploadId: id }),
    );
    assertEquals(listed.Parts ?? [], []);
    const parts: [number, Uint8Array][] = [[1, first], [2, last]];
    assert(await roundTrip(t, "cut-off", parts, parts, id));
    assertEquals(await leftoverTempFiles(t.dataDir), []);
  },
);

serverTest("a part uploaded twice at once is the upload that finished last", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const created = await raw(`${t.url}/${B}/race-part?uploads`, { method: "POST" });
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1];
  const url = `${t.url}/${B}/race-part?partNumber=1&uploadId=${id}`;
  const first = new Uint8Array(6 * MiB).fill(1);
  const second = new Uint8Array(6 * MiB).fill(2);
  // The first upload sends half its body, then waits while the second goes through whole.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const slow = new ReadableStream<Uint8Array>({
    async start(c) {
      c.enqueue(first.subarray(0, 3 * MiB));
      await held;
      c.enqueue(first.subarray(3 * MiB));
      c.close();
    },
  });
  const firstPut = fetch(url, {
    method: "PUT",
    body: slow,
    headers: { "content-length": String(first.byteLength) },
    duplex: "half",
  } as RequestInit);
  await new Promise((r) => setTimeout(r, 200));
  const secondPut = await fetch(url, { method: "PUT", body: second });
  assertEquals(secondPut.status, 200);
  await secondPut.body?.cancel();
  release();
  const firstDone = await firstPut;
  assertEquals(firstDone.status, 200);
  const etag = firstDone.headers.get("etag")!;
  await firstDone.body?.cancel();
  const parts = await raw(`${t.url}/${B}/race-part?uploadId=${id}`);
  assert(parts.text.includes(`<ETag>${etag.replaceAll('"', "&quot;")}</ETag>`), parts.text);
  const body =
    `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
  assertEquals(
    (await raw(`${t.url}/${B}/race-part?uploadId=${id}`, { method: "POST", body })).status,
    200,
  );
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "race-part" }));
  assertEquals(await md5Hex(await bytesOf(got.Body)), await md5Hex(first));
});

serverTest("an upload claimed by a process that crashed is put back by the sweep", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const { UploadId: id } = await t.s3.send(
    new CreateMultipartUploadCommand({ Bucket: B, Key: "orphan" }),
  );
  const part = await t.s3.send(
    new UploadPartCommand({ Bucket: B, Key: "orphan", UploadId: id, PartNumber: 1, Body: "data" }),
  );
  // What a process killed during CompleteMultipartUpload leaves: the upload renamed to a claim
  // naming its (now removed) area.
  const base = `${t.dataDir}/.geckos3/multipart/${B}`;
  await Deno.rename(`${base}/${id}`, `${base}/${id}.claimed-gone-1234-${crypto.randomUUID()}`);
  const hidden = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: B }));
  assertEquals(hidden.Uploads ?? [], []);
  assertEquals(await t.server.storage.uploads.sweep(86_400_000), 0);
  const listed = await t.s3.send(new ListMultipartUploadsCommand({ Bucket: B }));
  assertEquals(listed.Uploads?.map((u) => u.UploadId), [id]);
  const done = await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: "orphan",
      UploadId: id,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    }),
  );
  assert(done.ETag);
  // A claim whose completion was recorded (the crash came after the commit) is removed.
  const { UploadId: id2 } = await t.s3.send(
    new CreateMultipartUploadCommand({ Bucket: B, Key: "orphan2" }),
  );
  const p2 = await t.s3.send(
    new UploadPartCommand({ Bucket: B, Key: "orphan2", UploadId: id2, PartNumber: 1, Body: "x" }),
  );
  await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: "orphan2",
      UploadId: id2,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p2.ETag }] },
    }),
  );
  await t.server.storage.idle();
  await Deno.mkdir(`${base}/${id2}.claimed-gone-1234-${crypto.randomUUID()}`);
  await t.server.storage.uploads.sweep(86_400_000);
  assertEquals([...Deno.readDirSync(base)].map((e) => e.name), []);
});

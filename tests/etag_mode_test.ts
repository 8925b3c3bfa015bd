/**
 * `-etag=xxh3`: ETags are the XXH3-128 of the bytes, written `"<hex>-1"`,
 * kept and answered everywhere an ETag is (GET, HEAD, listings,
 * conditions, multipart); a Content-MD5 still gets an MD5 ETag; the files
 * stay the plain bytes.
 */
import { createXXHash128 } from "hash-wasm";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from "./deps/aws_sdk.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { bytesOf, md5Hex, raw, serverTest } from "./support/server.ts";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";

const B = "etags";

async function xxh3Hex(bytes: Uint8Array): Promise<string> {
  const h = await createXXHash128();
  h.init();
  h.update(bytes);
  return h.digest("hex");
}

const bytes = (n: number, seed: number) =>
  new Uint8Array(n).map((_, i) => (i * seed + (i >> 9)) & 255);

serverTest("-etag=xxh3: ETags are the bytes' XXH3-128, everywhere an ETag is", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  // A small body (written in one go) and a streamed one.
  for (const [Key, body] of [["small", bytes(4096, 7)], ["large", bytes(700_000, 13)]] as const) {
    const put = await t.s3.send(new PutObjectCommand({ Bucket: B, Key, Body: body }));
    const expected = `"${await xxh3Hex(body)}-1"`;
    assertEquals(put.ETag, expected, Key);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key }));
    assertEquals(got.ETag, expected);
    assertEquals(await md5Hex(await bytesOf(got.Body)), await md5Hex(body));
    assertEquals((await t.s3.send(new HeadObjectCommand({ Bucket: B, Key }))).ETag, expected);
    // The file is the plain bytes.
    assertEquals(await md5Hex(await Deno.readFile(`${t.dataDir}/${B}/${Key}`)), await md5Hex(body));
    const same = await raw(`${t.url}/${B}/${Key}`, { headers: { "if-none-match": expected } });
    assertEquals(same.status, 304);
    const match = await raw(`${t.url}/${B}/${Key}`, { headers: { "if-match": expected } });
    assertEquals(match.status, 200);
  }
  // A bare PUT (no type, no checksum) of a small body, which with MD5 ETags needs no sidecar.
  const bare = bytes(1000, 11);
  const barePut = await raw(`${t.url}/${B}/bare`, { method: "PUT", body: bare });
  const bareEtag = `"${await xxh3Hex(bare)}-1"`;
  assertEquals(barePut.headers.get("etag"), bareEtag);
  assertEquals((await raw(`${t.url}/${B}/bare`)).headers.get("etag"), bareEtag);
  const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: B }));
  for (const c of listed.Contents ?? []) assert(/^"[0-9a-f]{32}-1"$/.test(c.ETag!), c.ETag);
  // A Content-MD5 to check: the ETag is then that MD5, as S3's.
  const body = bytes(5000, 3);
  const md5 = createHash("md5").update(body).digest();
  const put = await raw(`${t.url}/${B}/checked`, {
    method: "PUT",
    body,
    headers: { "content-md5": md5.toString("base64") },
  });
  assertEquals([put.status, put.headers.get("etag")], [200, `"${md5.toString("hex")}"`]);
  // A copy has an ETag of the same kind, and the same bytes.
  const copy = await t.s3.send(
    new CopyObjectCommand({ Bucket: B, Key: "copy", CopySource: `${B}/large` }),
  );
  assertEquals(copy.CopyObjectResult?.ETag, `"${await xxh3Hex(bytes(700_000, 13))}-1"`);
}, { etag: "xxh3" });

serverTest("-etag=xxh3: parts have XXH3 ETags and the object the multipart form", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const Key = "multi";
  const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key }));
  const parts = [bytes(5 * 1024 * 1024, 5), bytes(1234, 9)];
  const etags: string[] = [];
  for (const [i, Body] of parts.entries()) {
    const r = await t.s3.send(
      new UploadPartCommand({ Bucket: B, Key, UploadId, PartNumber: i + 1, Body }),
    );
    assertEquals(r.ETag, `"${await xxh3Hex(Body)}-1"`);
    etags.push(r.ETag!);
  }
  const done = await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key,
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
  const h = createHash("md5");
  for (const e of etags) h.update(Buffer.from(e.slice(1, 33), "hex"));
  assertEquals(done.ETag, `"${h.digest("hex")}-2"`);
  const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key }));
  assertEquals((await bytesOf(got.Body)).byteLength, parts[0].byteLength + parts[1].byteLength);
}, { etag: "xxh3" });

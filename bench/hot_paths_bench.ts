/**
 * Micro-benchmarks of the hot paths (`deno task bench:micro`): signature
 * verification, key mapping, listing XML rendering, aws-chunked decoding,
 * and the hashes computed on every upload.
 */
import { createMd5, md5Implementation } from "../src/checksum/md5.ts";
import { createHash, createHmac } from "node:crypto";
import { createAuthenticator } from "../src/auth/mod.ts";
import { makeConfig } from "../src/config/mod.ts";
import { keyToSegments, segmentsToKey } from "../src/storage/keys.ts";
import { renderXml } from "../src/s3/xml.ts";
import { decodeRequestBody } from "../src/auth/body.ts";
import { createChecksum } from "../src/checksum/mod.ts";
import {
  EXAMPLE_ACCESS_KEY,
  EXAMPLE_SECRET_KEY,
  exampleGetRequest,
} from "../tests/support/aws_examples.ts";

const auth = createAuthenticator(
  makeConfig({ auth: true, accessKey: EXAMPLE_ACCESS_KEY, secretKey: EXAMPLE_SECRET_KEY }),
);
const exampleGet = exampleGetRequest();

Deno.bench("SigV4 header verification (AWS example request)", async () => {
  await auth.authenticate(exampleGet);
});

Deno.bench("key mapping: key -> path segments -> key", () => {
  const segs = keyToSegments("photos/2024/../ünïcödé/a b+c/%20/");
  segmentsToKey(segs);
});

const contents = Array.from({ length: 1000 }, (_, i) => ({
  Key: `photos/2024/image-${i}.jpg`,
  LastModified: "2026-11-24T12:00:00.000Z",
  ETag: '"0123456789abcdef0123456789abcdef"',
  Size: 123456,
  StorageClass: "STANDARD",
}));
Deno.bench("XML rendering of a 1000-key listing", () => {
  renderXml("ListBucketResult", {
    Name: "bucket",
    Prefix: "",
    MaxKeys: 1000,
    IsTruncated: false,
    Contents: contents,
  });
});

// A 1 MiB body as signed aws-chunked (64 KiB chunks), and the same unsigned with a CRC32 trailer.
const MiB = new Uint8Array(1024 * 1024).fill(97);
function chunked(signed: boolean): { body: Uint8Array<ArrayBuffer>; headers: Headers } {
  const te = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (let off = 0; off < MiB.length; off += 65536) {
    parts.push(
      te.encode(`10000${signed ? ";chunk-signature=" + "0".repeat(64) : ""}\r\n`),
      MiB.subarray(off, off + 65536),
      te.encode("\r\n"),
    );
  }
  parts.push(te.encode("0\r\n\r\n"));
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) body.set(p, (o += p.length) - p.length);
  return {
    body,
    headers: new Headers({
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(MiB.length),
    }),
  };
}
const unsigned = chunked(false);
Deno.bench("aws-chunked decoding, 1 MiB in 64 KiB chunks", async () => {
  const decoded = decodeRequestBody(new Blob([unsigned.body]).stream(), unsigned.headers, null);
  for await (const _ of decoded.stream!) { /* drain */ }
});

const signer = {
  key: new Uint8Array(createHmac("sha256", "k").update("x").digest()),
  amzDate: "20130524T000000Z",
  scope: "20130524/us-east-1/s3/aws4_request",
  seed: "0".repeat(64),
};
Deno.bench("chunk signature computation, 16 x 64 KiB", () => {
  let previous = signer.seed;
  for (let off = 0; off < MiB.length; off += 65536) {
    const h = createHash("sha256").update(MiB.subarray(off, off + 65536)).digest("hex");
    previous = createHmac("sha256", signer.key).update(
      `AWS4-HMAC-SHA256-PAYLOAD\n${signer.amzDate}\n${signer.scope}\n${previous}\n${h}`,
    ).digest("hex");
  }
});

for (const alg of ["md5", "sha256", "sha1"] as const) {
  Deno.bench(`hash 1 MiB: ${alg} (node:crypto)`, { group: "hash" }, () => {
    createHash(alg).update(MiB).digest();
  });
}
Deno.bench(`hash 1 MiB: md5 (${md5Implementation()}, as uploads use it)`, { group: "hash" }, () => {
  const h = createMd5();
  h.update(MiB);
  h.digest();
});
const SOURCE: Record<string, string> = { crc32: "node:zlib", sha512: "node:crypto" };
for (
  const alg of [
    "crc32",
    "crc32c",
    "crc64nvme",
    "sha512",
    "xxhash64",
    "xxhash3",
    "xxhash128",
  ] as const
) {
  const h = await createChecksum(alg);
  Deno.bench(`hash 1 MiB: ${alg} (${SOURCE[alg] ?? "hash-wasm"})`, {
    group: "hash",
  }, () => {
    h.update(MiB);
  });
}

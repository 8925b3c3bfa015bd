/** SigV4 against a real server: header and presigned auth, aws-chunked bodies, checksums, and every refusal. */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  getSignedUrl,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "./deps/aws_sdk.ts";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import {
  bytesOf,
  errorCode,
  md5Hex,
  raw,
  sdkClient,
  serverTest,
  type TestServer,
} from "./support/server.ts";
import { assert, assertEquals, assertRejects } from "./support/assert.ts";
import { sign, signedChunkedBody } from "./support/sign.ts";
import { createAuthenticator } from "../src/auth/mod.ts";
import {
  EXAMPLE_ACCESS_KEY,
  EXAMPLE_GET_SIGNATURE,
  EXAMPLE_NOW,
  EXAMPLE_SECRET_KEY,
  exampleGetRequest,
} from "./support/aws_examples.ts";
import { makeConfig } from "../src/config/mod.ts";

const B = "auth-bucket";
const AUTH = { auth: true };

async function setup(t: TestServer): Promise<void> {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "keep", Body: "original" }));
}

/** The stored object's bytes read through the SDK, or null when absent. */
async function stored(t: TestServer, key: string): Promise<string | null> {
  try {
    const r = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
    return new TextDecoder().decode(await bytesOf(r.Body));
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchKey") return null;
    throw e;
  }
}

Deno.test("AWS's published example request and chunked upload verify to the documented signatures", async () => {
  const dataDir = await Deno.makeTempDir();
  const auth = await createAuthenticator(makeConfig({
    dataDir,
    auth: true,
    accessKey: EXAMPLE_ACCESS_KEY,
    secretKey: EXAMPLE_SECRET_KEY,
  }));
  const now = EXAMPLE_NOW;
  // GET Object example (signature f0e8bd...).
  const get = await auth.authenticate(exampleGetRequest());
  assertEquals(get.accessKey, EXAMPLE_ACCESS_KEY);
  // One changed byte in the signature is refused.
  await assertRejects(() =>
    auth.authenticate(exampleGetRequest(EXAMPLE_GET_SIGNATURE.slice(0, -1) + "2"))
  );
  // Chunked PUT example: seed signature 4f232c..., then three documented chunk signatures.
  const headers = new Headers({
    host: "s3.amazonaws.com",
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "content-length": "66824",
    authorization:
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
      "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;" +
      "x-amz-decoded-content-length;x-amz-storage-class," +
      "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
  });
  const put = await auth.authenticate({
    method: "PUT",
    rawPath: "/examplebucket/chunkObject.txt",
    rawQuery: "",
    now,
    headers,
  });
  const framed = (sigs: string[]) => {
    const te = new TextEncoder();
    return new Blob([
      te.encode(`10000;chunk-signature=${sigs[0]}\r\n`),
      new Uint8Array(65536).fill(97),
      te.encode(`\r\n400;chunk-signature=${sigs[1]}\r\n`),
      new Uint8Array(1024).fill(97),
      te.encode(`\r\n0;chunk-signature=${sigs[2]}\r\n\r\n`),
    ]).stream();
  };
  const sigs = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
  ];
  const decoded = auth.decodeBody(framed(sigs), headers, put);
  const bytes = new Uint8Array(await new Response(decoded.stream).arrayBuffer());
  assertEquals(bytes.byteLength, 66560);
  const bad = auth.decodeBody(framed([sigs[0], sigs[2], sigs[1]]), headers, put);
  const err = await assertRejects(() => new Response(bad.stream).arrayBuffer());
  assertEquals((err as { code?: string }).code, "SignatureDoesNotMatch");
  await Deno.remove(dataDir, { recursive: true });
});

serverTest(
  "the SDK with default settings: buffered and streamed bodies, checksums on, listing",
  async (t) => {
    await setup(t);
    const data = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => i % 251);
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "buffered", Body: data }));
    // A Node stream of unknown length: the SDK sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer.
    const put = await t.s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: "streamed",
        Body: Readable.from([data.subarray(0, 100000), data.subarray(100000)]),
        ContentLength: data.byteLength,
      }),
    );
    assertEquals(put.ETag, `"${await md5Hex(data)}"`);
    for (const key of ["buffered", "streamed"]) {
      const r = await t.s3.send(
        new GetObjectCommand({ Bucket: B, Key: key, ChecksumMode: "ENABLED" }),
      );
      assertEquals(await md5Hex(await bytesOf(r.Body)), await md5Hex(data));
    }
    const files = await Array.fromAsync(Deno.readDir(`${t.dataDir}/${B}`));
    assert(
      files.every((f) =>
        f.name !== "streamed" ||
        Deno.statSync(`${t.dataDir}/${B}/streamed`).size === data.byteLength
      ),
    );
    const list = await t.s3.send(new ListObjectsV2Command({ Bucket: B }));
    assertEquals(list.KeyCount, 3);
    const required = sdkClient(t.url, { requestChecksumCalculation: "WHEN_REQUIRED" });
    await required.send(new PutObjectCommand({ Bucket: B, Key: "plain", Body: "no checksum" }));
    assertEquals(await stored(t, "plain"), "no checksum");
    required.destroy();
  },
  AUTH,
);

serverTest(
  "flexible checksums of every algorithm are stored and returned with ChecksumMode",
  async (t) => {
    await setup(t);
    for (const alg of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const) {
      const put = await t.s3.send(
        new PutObjectCommand({ Bucket: B, Key: alg, Body: "checksum me", ChecksumAlgorithm: alg }),
      );
      const field = `Checksum${alg}` as "ChecksumCRC32";
      assert(put[field], `${alg} in the PUT response`);
      const head = await t.s3.send(
        new HeadObjectCommand({ Bucket: B, Key: alg, ChecksumMode: "ENABLED" }),
      );
      assertEquals(head[field], put[field]);
      const plainHead = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: alg }));
      assertEquals(plainHead[field], undefined);
    }
    const sha1 = createHash("sha1").update("checksum me").digest("base64");
    const head = await t.s3.send(
      new HeadObjectCommand({ Bucket: B, Key: "SHA1", ChecksumMode: "ENABLED" }),
    );
    assertEquals(head.ChecksumSHA1, sha1);
    // A wrong checksum header: BadDigest, nothing written.
    const s = sign("PUT", `${t.url}/${B}/keep`, {
      headers: { "x-amz-checksum-sha1": createHash("sha1").update("x").digest("base64") },
    });
    const r = await raw(s.url, { method: "PUT", headers: s.headers, body: "replacement" });
    assertEquals([r.status, errorCode(r.text)], [400, "BadDigest"]);
    assertEquals(await stored(t, "keep"), "original");
  },
  AUTH,
);

serverTest(
  "presigned URLs work for GET, PUT, HEAD and DELETE with plain fetch, and expire",
  async (t) => {
    await setup(t);
    const putUrl = await getSignedUrl(t.s3, new PutObjectCommand({ Bucket: B, Key: "pre" }), {
      expiresIn: 300,
    });
    assertEquals((await raw(putUrl, { method: "PUT", body: "via presigned put" })).status, 200);
    const getUrl = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: B, Key: "pre" }), {
      expiresIn: 300,
    });
    assertEquals((await raw(getUrl)).text, "via presigned put");
    const headUrl = await getSignedUrl(t.s3, new HeadObjectCommand({ Bucket: B, Key: "pre" }), {
      expiresIn: 300,
    });
    assertEquals((await raw(headUrl, { method: "HEAD" })).status, 200);
    // A presigned GET URL cannot be replayed as a PUT.
    const replay = await raw(getUrl, { method: "PUT", body: "x" });
    assertEquals([replay.status, errorCode(replay.text)], [403, "SignatureDoesNotMatch"]);
    const expired = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: B, Key: "pre" }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 3600_000),
    });
    let r = await raw(expired);
    assertEquals([r.status, errorCode(r.text)], [403, "AccessDenied"]);
    assert(r.text.includes("Request has expired"));
    const future = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: B, Key: "pre" }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() + 3600_000),
    });
    r = await raw(future);
    assertEquals([r.status, errorCode(r.text)], [403, "AccessDenied"]);
    for (const expires of ["0", "604801", "abc", null]) {
      const u = new URL(getUrl);
      if (expires === null) u.searchParams.delete("X-Amz-Expires");
      else u.searchParams.set("X-Amz-Expires", expires);
      r = await raw(u.href);
      assertEquals(
        [r.status, errorCode(r.text)],
        [400, "AuthorizationQueryParametersError"],
        `expires ${expires}`,
      );
    }
    const tampered = new URL(getUrl);
    tampered.searchParams.set("response-content-type", "text/evil");
    r = await raw(tampered.href);
    assertEquals([r.status, errorCode(r.text)], [403, "SignatureDoesNotMatch"]);
    const delUrl = await getSignedUrl(t.s3, new DeleteObjectCommand({ Bucket: B, Key: "pre" }), {
      expiresIn: 300,
    });
    assertEquals((await raw(delUrl, { method: "DELETE" })).status, 204);
    assertEquals(await stored(t, "pre"), null);
  },
  AUTH,
);

serverTest(
  "wrong secret, unknown key, tampering, skew and anonymous requests are refused with S3's codes",
  async (t) => {
    await setup(t);
    const target = `${t.url}/${B}/keep`;
    const cases: [string, RequestInit & { url?: string }, number, string][] = [];
    const wrongSecret = sign("GET", target, { secret: "not-the-secret" });
    cases.push(["wrong secret", { headers: wrongSecret.headers }, 403, "SignatureDoesNotMatch"]);
    const wrongKey = sign("GET", target, { accessKey: "NOSUCHKEY" });
    cases.push(["unknown key", { headers: wrongKey.headers }, 403, "InvalidAccessKeyId"]);
    const good = sign("GET", target);
    cases.push([
      "tampered path",
      { url: `${t.url}/${B}/other`, headers: good.headers },
      403,
      "SignatureDoesNotMatch",
    ]);
    cases.push([
      "tampered query",
      { url: `${target}?versionId=x`, headers: good.headers },
      403,
      "SignatureDoesNotMatch",
    ]);
    const withHeader = sign("GET", target, { headers: { "x-amz-meta-a": "1" } });
    cases.push([
      "tampered header",
      { headers: { ...withHeader.headers, "x-amz-meta-a": "2" } },
      403,
      "SignatureDoesNotMatch",
    ]);
    const skewed = sign("GET", target, { now: new Date(Date.now() - 20 * 60_000) });
    cases.push(["skewed clock", { headers: skewed.headers }, 403, "RequestTimeTooSkewed"]);
    cases.push(["anonymous", {}, 403, "AccessDenied"]);
    cases.push([
      "malformed header",
      { headers: { authorization: "AWS4-HMAC-SHA256 Credential=x" } },
      400,
      "AuthorizationHeaderMalformed",
    ]);
    const noPayload = sign("GET", target);
    const { "x-amz-content-sha256": _dropped, ...withoutPayload } = noPayload.headers;
    cases.push(["no x-amz-content-sha256", { headers: withoutPayload }, 400, "InvalidRequest"]);
    for (const [name, init, status, code] of cases) {
      const r = await raw(init.url ?? target, { headers: init.headers });
      assertEquals([r.status, errorCode(r.text)], [status, code], name);
      assert(r.text.includes("<RequestId>"), name);
    }
    const r = await raw(target, { headers: wrongSecret.headers });
    assert(
      r.text.includes("<StringToSign>AWS4-HMAC-SHA256") && r.text.includes("<CanonicalRequest>GET"),
    );
    assertEquals((await raw(target, { headers: good.headers })).text, "original");
    // A wrong secret cannot write either.
    const w = sign("PUT", target, { secret: "nope" });
    assertEquals(
      (await raw(target, { method: "PUT", headers: w.headers, body: "evil" })).status,
      403,
    );
    assertEquals(await stored(t, "keep"), "original");
  },
  AUTH,
);

serverTest(
  "signed aws-chunked bodies: verified per chunk; tampering, truncation and bad trailers write nothing",
  async (t) => {
    await setup(t);
    const url = `${t.url}/${B}/keep`;
    const chunks = [new Uint8Array(70000).fill(120), new Uint8Array(1000).fill(121)];
    const crc = (await import("node:zlib")).crc32;
    const value = crc(chunks[1], crc(chunks[0]));
    const crcB64 = btoa(
      String.fromCharCode(...new Uint8Array(new Uint32Array([value]).buffer).reverse()),
    );
    const put = async (
      mode: string,
      mutate: (b: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>,
      trailer?: string,
    ) => {
      const s = sign("PUT", url, {
        payload: mode,
        headers: {
          "content-encoding": "aws-chunked",
          "x-amz-decoded-content-length": "71000",
          ...(trailer ? { "x-amz-trailer": "x-amz-checksum-crc32" } : {}),
        },
      });
      return await raw(url, {
        method: "PUT",
        headers: s.headers,
        body: mutate(signedChunkedBody(s, chunks, trailer)).slice(),
      });
    };
    const ok = await put("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", (b) => b);
    assertEquals(ok.status, 200, ok.text);
    assertEquals((await stored(t, "keep"))?.length, 71000);
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "keep", Body: "original" }));
    const tampered = await put("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", (b) => {
      const c = b.slice();
      c[200] ^= 1;
      return c;
    });
    assertEquals([tampered.status, errorCode(tampered.text)], [403, "SignatureDoesNotMatch"]);
    const truncated = await put("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", (b) => b.subarray(0, 50000));
    assertEquals([truncated.status, errorCode(truncated.text)], [400, "IncompleteBody"]);
    const trailerOk = await put(
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
      (b) => b,
      `x-amz-checksum-crc32:${crcB64}`,
    );
    assertEquals(trailerOk.status, 200, trailerOk.text);
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "keep", Body: "original" }));
    const badTrailer = await put(
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
      (b) => b,
      "x-amz-checksum-crc32:AAAAAA==",
    );
    assertEquals([badTrailer.status, errorCode(badTrailer.text)], [400, "BadDigest"]);
    assertEquals(await stored(t, "keep"), "original");
    const temp = await Array.fromAsync(Deno.readDir(`${t.dataDir}/${B}`));
    assertEquals(temp.map((e) => e.name).sort(), ["keep"]);
  },
  AUTH,
);

serverTest(
  "Content-MD5 and x-amz-content-sha256 are verified: mismatches are BadDigest / XAmzContentSHA256Mismatch",
  async (t) => {
    await setup(t);
    const url = `${t.url}/${B}/keep`;
    const md5 = (s: string) => createHash("md5").update(s).digest("base64");
    const sha = (s: string) => createHash("sha256").update(s).digest("hex");
    const attempt = async (headers: Record<string, string>, payload: string, body: string) => {
      const s = sign("PUT", url, { headers, payload });
      return await raw(url, { method: "PUT", headers: s.headers, body });
    };
    let r = await attempt({ "content-md5": md5("other") }, "UNSIGNED-PAYLOAD", "new");
    assertEquals([r.status, errorCode(r.text)], [400, "BadDigest"]);
    r = await attempt({ "content-md5": "not-md5" }, "UNSIGNED-PAYLOAD", "new");
    assertEquals([r.status, errorCode(r.text)], [400, "InvalidDigest"]);
    r = await attempt({}, sha("other"), "new");
    assertEquals([r.status, errorCode(r.text)], [400, "XAmzContentSHA256Mismatch"]);
    assertEquals(await stored(t, "keep"), "original");
    r = await attempt({ "content-md5": md5("new") }, sha("new"), "new");
    assertEquals(r.status, 200);
    assertEquals(await stored(t, "keep"), "new");
  },
  AUTH,
);

serverTest(
  "-auth=false accepts unsigned requests but still decodes aws-chunked and verifies checksums",
  async (t) => {
    await setup(t);
    const url = `${t.url}/${B}/keep`;
    assertEquals((await raw(url)).text, "original");
    const te = new TextEncoder();
    const body = te.encode(
      "5\r\nhello\r\n0\r\nx-amz-checksum-sha256:" +
        createHash("sha256").update("hello").digest("base64") + "\r\n\r\n",
    );
    const headers = {
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "5",
      "x-amz-trailer": "x-amz-checksum-sha256",
    };
    let r = await raw(url, { method: "PUT", headers, body });
    assertEquals(r.status, 200, r.text);
    assertEquals(await stored(t, "keep"), "hello");
    const bad = te.encode(
      "5\r\nhellO\r\n0\r\nx-amz-checksum-sha256:" +
        createHash("sha256").update("hello").digest("base64") + "\r\n\r\n",
    );
    r = await raw(url, { method: "PUT", headers, body: bad });
    assertEquals([r.status, errorCode(r.text)], [400, "BadDigest"]);
    assertEquals(await stored(t, "keep"), "hello");
    const client = new S3Client({
      endpoint: t.url,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "any", secretAccessKey: "thing" },
    });
    await client.send(new PutObjectCommand({ Bucket: B, Key: "anyone", Body: "ok" }));
    client.destroy();
  },
);

serverTest(
  "SigV2 header and query signatures (boto3 presigns with them by default) are verified",
  async (t) => {
    await setup(t);
    const { createHmac } = await import("node:crypto");
    const v2 = (toSign: string, secret = "geckoadmin") =>
      createHmac("sha1", secret).update(toSign).digest("base64");
    const url = `${t.url}/${B}/keep`;
    const date = new Date().toUTCString();
    let r = await raw(url, {
      headers: { date, authorization: `AWS geckoadmin:${v2(`GET\n\n\n${date}\n/${B}/keep`)}` },
    });
    assertEquals([r.status, r.text], [200, "original"]);
    r = await raw(url, {
      headers: {
        date,
        authorization: `AWS geckoadmin:${v2(`GET\n\n\n${date}\n/${B}/keep`, "wrong")}`,
      },
    });
    assertEquals([r.status, errorCode(r.text)], [403, "SignatureDoesNotMatch"]);
    const expires = Math.floor(Date.now() / 1000) + 300;
    const sig = encodeURIComponent(v2(`GET\n\n\n${expires}\n/${B}/keep`));
    r = await raw(`${url}?AWSAccessKeyId=geckoadmin&Expires=${expires}&Signature=${sig}`);
    assertEquals([r.status, r.text], [200, "original"]);
    r = await raw(
      `${t.url}/${B}/other?AWSAccessKeyId=geckoadmin&Expires=${expires}&Signature=${sig}`,
    );
    assertEquals([r.status, errorCode(r.text)], [403, "SignatureDoesNotMatch"]);
    const past = Math.floor(Date.now() / 1000) - 10;
    const old = encodeURIComponent(v2(`GET\n\n\n${past}\n/${B}/keep`));
    r = await raw(`${url}?AWSAccessKeyId=geckoadmin&Expires=${past}&Signature=${old}`);
    assertEquals([r.status, errorCode(r.text)], [403, "AccessDenied"]);
    const putSig = encodeURIComponent(v2(`PUT\n\ntext/plain\n${expires}\n/${B}/keep`));
    r = await raw(`${url}?AWSAccessKeyId=geckoadmin&Expires=${expires}&Signature=${putSig}`, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: "v2 put",
    });
    assertEquals(r.status, 200);
    assertEquals(await stored(t, "keep"), "v2 put");
  },
  AUTH,
);

serverTest("presigned URLs work for multipart part uploads", async (t) => {
  await setup(t);
  const { CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand } =
    await import("./deps/aws_sdk.ts");
  const created = await t.s3.send(
    new CreateMultipartUploadCommand({ Bucket: B, Key: "presigned-mpu" }),
  );
  const url = await getSignedUrl(
    t.s3,
    new UploadPartCommand({
      Bucket: B,
      Key: "presigned-mpu",
      UploadId: created.UploadId,
      PartNumber: 1,
    }),
    { expiresIn: 300 },
  );
  const r = await fetch(url, { method: "PUT", body: "part via presigned url" });
  await r.body?.cancel();
  assertEquals(r.status, 200);
  const etag = r.headers.get("etag")!;
  await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: "presigned-mpu",
      UploadId: created.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag }] },
    }),
  );
  assertEquals(await stored(t, "presigned-mpu"), "part via presigned url");
  // The same URL with another part number is refused.
  const other = new URL(url);
  other.searchParams.set("partNumber", "2");
  const bad = await raw(other.href, { method: "PUT", body: "x" });
  assertEquals([bad.status, errorCode(bad.text)], [403, "SignatureDoesNotMatch"]);
}, AUTH);

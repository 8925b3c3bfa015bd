/**
 * What a signature covers: headers that were not signed cannot change an
 * operation, `host` must be signed, SigV2 signs the virtual-host bucket and
 * its URLs expire within a week, the credential scope names the server's
 * region, and request XML decodes character references as XML does.
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  getSignedUrl,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "./deps/aws_sdk.ts";
import { createHmac } from "node:crypto";
import {
  ACCESS_KEY,
  bytesOf,
  errorCode,
  raw,
  rawHttp,
  sdkClient,
  SECRET_KEY,
  serverTest,
  type TestServer,
} from "./support/server.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import { sign } from "./support/sign.ts";

const B = "signed";
const AUTH = { auth: true, domains: ["s3.test"] };

async function setup(t: TestServer): Promise<void> {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "private", Body: "secret bytes" }));
}

async function stored(t: TestServer, key: string): Promise<string | null> {
  try {
    const r = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
    return new TextDecoder().decode(await bytesOf(r.Body));
  } catch {
    return null;
  }
}

function headersNotSigned(text: string): string | undefined {
  return /<HeadersNotSigned>([^<]*)<\/HeadersNotSigned>/.exec(text)?.[1];
}

serverTest(
  "a presigned PUT cannot be turned into a copy, or given metadata or tags, by adding headers",
  async (t) => {
    await setup(t);
    const url = await getSignedUrl(t.s3, new PutObjectCommand({ Bucket: B, Key: "upload" }), {
      expiresIn: 300,
    });
    const additions: [string, string][] = [
      ["x-amz-copy-source", `${B}/private`],
      ["x-amz-meta-owner", "mallory"],
      ["x-amz-tagging", "a=b"],
      ["x-amz-metadata-directive", "REPLACE"],
    ];
    for (const [name, value] of additions) {
      const r = await raw(url, { method: "PUT", headers: { [name]: value }, body: "" });
      assertEquals([r.status, errorCode(r.text)], [403, "AccessDenied"], name);
      assert(r.text.includes("There were headers present in the request which were not signed"));
      assertEquals(headersNotSigned(r.text), name);
      assertEquals(await stored(t, "upload"), null);
    }
    // Without the added header the same URL still works.
    assertEquals((await raw(url, { method: "PUT", body: "mine" })).status, 200);
    assertEquals(await stored(t, "upload"), "mine");
  },
  AUTH,
);

serverTest("a header-signed request with an unsigned x-amz-* header is refused", async (t) => {
  await setup(t);
  const s = sign("PUT", `${t.url}/${B}/copied`);
  const r = await raw(s.url, {
    method: "PUT",
    headers: { ...s.headers, "x-amz-copy-source": `/${B}/private` },
  });
  assertEquals([r.status, errorCode(r.text)], [403, "AccessDenied"]);
  assertEquals(headersNotSigned(r.text), "x-amz-copy-source");
  assertEquals(await stored(t, "copied"), null);
  // Signed, the same copy is allowed.
  const ok = sign("PUT", `${t.url}/${B}/copied`, {
    headers: { "x-amz-copy-source": `/${B}/private` },
  });
  assertEquals((await raw(ok.url, { method: "PUT", headers: ok.headers })).status, 200);
  assertEquals(await stored(t, "copied"), "secret bytes");
}, AUTH);

serverTest("SigV4 must sign host, in the header and in presigned URLs", async (t) => {
  await setup(t);
  const { createHash } = await import("node:crypto");
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const canonical = [
    "GET",
    `/${B}/private`,
    "",
    `x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${amzDate}\n`,
    "x-amz-content-sha256;x-amz-date",
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${
    createHash("sha256").update(canonical).digest("hex")
  }`;
  let key = createHmac("sha256", "AWS4" + SECRET_KEY).update(amzDate.slice(0, 8)).digest();
  for (const p of ["us-east-1", "s3", "aws4_request"]) {
    key = createHmac("sha256", key).update(p).digest();
  }
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  const r = await raw(`${t.url}/${B}/private`, {
    headers: {
      "x-amz-date": amzDate,
      "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      authorization:
        `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/${scope}, SignedHeaders=x-amz-content-sha256;x-amz-date, Signature=${signature}`,
    },
  });
  assertEquals([r.status, errorCode(r.text)], [403, "AccessDenied"]);
  assertEquals(headersNotSigned(r.text), "host");
}, AUTH);

serverTest(
  "SigV2 signs the virtual-host bucket: boto3's default presigned URL works, and replays nowhere else",
  async (t) => {
    await setup(t);
    await t.s3.send(new CreateBucketCommand({ Bucket: "other-bucket" }));
    await t.s3.send(
      new PutObjectCommand({ Bucket: "other-bucket", Key: "private", Body: "other bytes" }),
    );
    const port = new URL(t.url).port;
    const script = [
      "import boto3, sys",
      "from botocore.client import Config",
      `s3 = boto3.client('s3', endpoint_url='http://s3.test:${port}', region_name='us-east-1',`,
      `  aws_access_key_id='${ACCESS_KEY}', aws_secret_access_key='${SECRET_KEY}',`,
      "  config=Config(s3={'addressing_style': 'virtual'}))",
      `print(s3.generate_presigned_url('get_object', Params={'Bucket': '${B}', 'Key': 'private'}, ExpiresIn=300))`,
    ].join("\n");
    const out = await new Deno.Command("python3", { args: ["-c", script], stdout: "piped" })
      .output();
    assert(out.success, "boto3 presigns");
    const url = new URL(new TextDecoder().decode(out.stdout).trim());
    assertEquals(url.host, `${B}.s3.test:${port}`);
    assert(url.searchParams.has("AWSAccessKeyId"), `SigV2 URL: ${url}`);
    const get = (host: string) =>
      rawHttp(t, `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const ok = await get(url.host);
    assertEquals(ok.status, 200);
    assert(ok.text.endsWith("secret bytes"));
    const replay = await get(`other-bucket.s3.test:${port}`);
    assertEquals([replay.status, errorCode(replay.text)], [403, "SignatureDoesNotMatch"]);
  },
  AUTH,
);

serverTest("a SigV2 query signature is good for at most a week", async (t) => {
  await setup(t);
  const v2 = (expires: number) => {
    const sig = createHmac("sha1", SECRET_KEY).update(`GET\n\n\n${expires}\n/${B}/private`)
      .digest("base64");
    return `${t.url}/${B}/private?AWSAccessKeyId=${ACCESS_KEY}&Expires=${expires}&Signature=${
      encodeURIComponent(sig)
    }`;
  };
  const now = Math.floor(Date.now() / 1000);
  assertEquals((await raw(v2(now + 6 * 86400))).text, "secret bytes");
  const forever = await raw(v2(now + 10 * 365 * 86400));
  assertEquals([forever.status, errorCode(forever.text)], [403, "AccessDenied"]);
}, AUTH);

serverTest("a credential scope for another region answers with the region expected", async (t) => {
  await setup(t);
  const wrong = sdkClient(t.url, { region: "eu-west-1" });
  try {
    await assertS3Error(
      () => wrong.send(new GetObjectCommand({ Bucket: B, Key: "private" })),
      "AuthorizationHeaderMalformed",
      400,
    );
  } finally {
    wrong.destroy();
  }
  const s = sign("GET", `${t.url}/${B}/private`);
  const header = s.headers.authorization.replace("/us-east-1/", "/eu-west-1/");
  const r = await raw(s.url, { headers: { ...s.headers, authorization: header } });
  assertEquals(errorCode(r.text), "AuthorizationHeaderMalformed");
  assert(r.text.includes("<Region>us-east-1</Region>"), r.text);
  assert(r.text.includes("expecting &apos;us-east-1&apos;"), r.text);
}, AUTH);

serverTest("-region: signatures for it are accepted, and buckets report it", async (t) => {
  const s3 = new S3Client({
    endpoint: t.url,
    region: "eu-central-1",
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: "regional" }));
    const where = await s3.send(new GetBucketLocationCommand({ Bucket: "regional" }));
    assertEquals(where.LocationConstraint, "eu-central-1");
    const head = await raw(`${t.url}/regional`, { method: "HEAD" });
    assertEquals(head.status, 403); // unsigned
    await assertS3Error(
      () => t.s3.send(new GetBucketLocationCommand({ Bucket: "regional" })),
      "AuthorizationHeaderMalformed",
      400,
    );
  } finally {
    s3.destroy();
  }
}, { ...AUTH, region: "eu-central-1" });

serverTest("request XML decodes character references as XML does", async (t) => {
  await setup(t);
  for (const key of ["it's.txt", "cr\rkey", "A&B"]) {
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: "x" }));
  }
  const body = "<Delete><Quiet>true</Quiet>" +
    "<Object><Key>it&#39;s.txt</Key></Object>" +
    "<Object><Key>cr&#13;key</Key></Object>" +
    "<Object><Key>&#x41;&#38;B</Key></Object></Delete>";
  const s = sign("POST", `${t.url}/${B}?delete`, {
    headers: { "content-type": "application/xml" },
  });
  const r = await raw(s.url, { method: "POST", headers: s.headers, body });
  assertEquals(r.status, 200, r.text);
  for (const key of ["it's.txt", "cr\rkey", "A&B"]) assertEquals(await stored(t, key), null, key);
  // References XML does not define are malformed.
  for (const bad of ["&nbsp;", "&#0;", "&#xD800;", "& x"]) {
    const doc = `<Delete><Object><Key>k${bad}</Key></Object></Delete>`;
    const s2 = sign("POST", `${t.url}/${B}?delete`);
    const r2 = await raw(s2.url, { method: "POST", headers: s2.headers, body: doc });
    assertEquals([r2.status, errorCode(r2.text)], [400, "MalformedXML"], bad);
  }
  // An SDK's own DeleteObjects still works.
  await t.s3.send(
    new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: "private" }] } }),
  );
  assertEquals(await stored(t, "private"), null);
}, AUTH);

serverTest(
  "user metadata with non-ASCII values is signed as sent, stored, returned as S3 does",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: "meta-utf8" }));
    // Under Deno the SDK sends UTF-8 bytes; it signed the text they encode.
    await t.s3.send(
      new PutObjectCommand({
        Bucket: "meta-utf8",
        Key: "k",
        Body: "x",
        Metadata: { name: "Zoë café", plain: "ascii" },
      }),
    );
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: "meta-utf8", Key: "k" }));
    // S3 returns a non-ASCII value as an RFC 2047 encoded word, an ASCII one as it is.
    assertEquals(head.Metadata, { name: "=?UTF-8?B?Wm/DqyBjYWbDqQ==?=", plain: "ascii" });
    const sidecar = await Deno.readTextFile(`${t.dataDir}/.geckos3/meta/meta-utf8/k`);
    assert(sidecar.includes('"name":"Zoë café"'), sidecar);
  },
  { auth: true },
);

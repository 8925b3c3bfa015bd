/**
 * Browser POST uploads (PostObject) with the JS SDK's createPresignedPost
 * and real multipart/form-data bodies: every success answer S3 gives, every
 * policy condition refused with S3's code and nothing stored, cut-short
 * bodies, checksums, and the upload authorized as the user who signed it.
 */
import {
  CreateBucketCommand,
  createPresignedPost,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from "./deps/aws_sdk.ts";
import { createHash } from "node:crypto";
import { assert, assertEquals } from "./support/assert.ts";
import {
  errorCode,
  leftoverTempFiles,
  rawHttp,
  startTestServer,
  type TestServer,
} from "./support/server.ts";
import { APP, clientAs, READER, writeUsersFile } from "./support/users.ts";

const B = "uploads";

/** A presigned POST (url and fields) for `key` with `conditions`, signed by `client`. */
function presignedPost(
  client: S3Client,
  opts: {
    bucket?: string;
    key: string;
    conditions?: unknown[];
    fields?: Record<string, string>;
    expires?: number;
  },
): Promise<{ url: string; fields: Record<string, string> }> {
  return createPresignedPost(client as never, {
    Bucket: opts.bucket ?? B,
    Key: opts.key,
    Conditions: opts.conditions as never,
    Fields: opts.fields,
    Expires: opts.expires ?? 600,
  });
}

/** Posts a form: the fields in order, then the file (and `after`, fields that follow it). */
async function post(
  url: string,
  fields: Record<string, string>,
  file: { name: string; body: string | Uint8Array<ArrayBuffer>; type?: string } | null,
  after: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append("file", new Blob([file.body], { type: file.type ?? "" }), file.name);
  for (const [k, v] of Object.entries(after)) form.append(k, v);
  const res = await fetch(url, { method: "POST", body: form, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function withPostServer(fn: (t: TestServer) => Promise<void>): Promise<void> {
  const usersFile = await writeUsersFile([READER, APP]);
  const t = await startTestServer({ auth: true, credentialsFile: usersFile });
  try {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await fn(t);
  } finally {
    await t.close();
    await Deno.remove(usersFile.slice(0, usersFile.lastIndexOf("/")), { recursive: true });
  }
}

function postTest(name: string, fn: (t: TestServer) => Promise<void>): void {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn: () => withPostServer(fn) });
}

const keysOf = async (t: TestServer) =>
  ((await t.s3.send(new ListObjectsV2Command({ Bucket: B }))).Contents ?? []).map((o) => o.Key);

postTest(
  "POST uploads: 204, 200, 201 with PostResponse, 303 redirect; fields become metadata",
  async (t) => {
    const tagging =
      "<Tagging><TagSet><Tag><Key>kind</Key><Value>avatar</Value></Tag></TagSet></Tagging>";
    const p = await presignedPost(t.s3, {
      key: "avatars/${filename}",
      conditions: [
        ["starts-with", "$key", "avatars/"],
        ["starts-with", "$Content-Type", "image/"],
        ["content-length-range", 1, 1024],
        ["starts-with", "$x-amz-meta-owner", ""],
        ["starts-with", "$success_action_status", ""],
        ["starts-with", "$success_action_redirect", ""],
        ["eq", "$tagging", tagging],
        { "Cache-Control": "max-age=60" },
      ],
      fields: { "Cache-Control": "max-age=60" },
    });
    const base = { ...p.fields, "Content-Type": "image/png", "x-amz-meta-owner": "ana", tagging };
    const png = { name: "ana.png", body: "\x89PNG fake", type: "image/png" };
    const plain = await post(p.url, base, png);
    assertEquals([plain.status, plain.text], [204, ""]);
    assertEquals(plain.headers.get("location"), `${t.url}/${B}/avatars/ana.png`);
    const etag = plain.headers.get("etag");
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "avatars/ana.png" }));
    assertEquals(
      [head.ETag, head.ContentType, head.CacheControl, head.Metadata?.owner],
      [etag, "image/png", "max-age=60", "ana"],
    );
    const tags = await t.s3.send(
      new GetObjectTaggingCommand({ Bucket: B, Key: "avatars/ana.png" }),
    );
    assertEquals(tags.TagSet, [{ Key: "kind", Value: "avatar" }]);
    const ok = await post(p.url, { ...base, success_action_status: "200" }, {
      ...png,
      name: "b.png",
    });
    assertEquals([ok.status, ok.text], [200, ""]);
    const created = await post(p.url, { ...base, success_action_status: "201" }, {
      ...png,
      name: "c.png",
    });
    assertEquals(created.status, 201);
    for (
      const part of [
        `<Location>${t.url}/${B}/avatars/c.png</Location>`,
        `<Bucket>${B}</Bucket>`,
        "<Key>avatars/c.png</Key>",
        `<ETag>&quot;`,
      ]
    ) assert(created.text.includes(part), created.text);
    const moved = await post(
      p.url,
      { ...base, success_action_redirect: "http://app.example/done?x=1" },
      { ...png, name: "d.png" },
    );
    assertEquals(moved.status, 303);
    const to = new URL(moved.headers.get("location")!);
    assertEquals(
      [
        to.origin + to.pathname,
        to.searchParams.get("x"),
        to.searchParams.get("bucket"),
        to.searchParams.get("key"),
        to.searchParams.get("etag"),
      ],
      ["http://app.example/done", "1", B, "avatars/d.png", etag],
    );
    assertEquals(await keysOf(t), [
      "avatars/ana.png",
      "avatars/b.png",
      "avatars/c.png",
      "avatars/d.png",
    ]);
  },
);

postTest(
  "each broken policy condition is refused with S3's code, and nothing is stored",
  async (t) => {
    const p = await presignedPost(t.s3, {
      key: "docs/${filename}",
      conditions: [
        ["starts-with", "$key", "docs/"],
        ["eq", "$Content-Type", "text/plain"],
        ["content-length-range", 2, 10],
      ],
    });
    const f: Record<string, string> = { ...p.fields, "Content-Type": "text/plain" };
    const file = { name: "a.txt", body: "hello" };
    const refused = async (
      got: Promise<{ status: number; text: string }>,
      status: number,
      code: string,
      message?: string,
    ) => {
      const r = await got;
      assertEquals([r.status, errorCode(r.text)], [status, code], r.text);
      if (message) assert(r.text.includes(message), r.text);
    };
    await refused(
      post(p.url, { ...f, "Content-Type": "text/html" }, file),
      403,
      "AccessDenied",
      "Policy Condition failed: [&quot;eq&quot;, &quot;$Content-Type&quot;, &quot;text/plain&quot;]",
    );
    await refused(
      post(p.url, { ...f, key: "other/${filename}" }, file),
      403,
      "AccessDenied",
      "Policy Condition failed",
    );
    await refused(post(p.url, f, { name: "big.txt", body: "x".repeat(11) }), 400, "EntityTooLarge");
    await refused(post(p.url, f, { name: "tiny.txt", body: "x" }), 400, "EntityTooSmall");
    await refused(
      post(p.url, { ...f, "x-amz-meta-extra": "1" }, file),
      403,
      "AccessDenied",
      "Extra input fields: x-amz-meta-extra",
    );
    await refused(
      post(p.url, { ...f, "x-amz-signature": "0".repeat(64) }, file),
      403,
      "SignatureDoesNotMatch",
    );
    const other = JSON.parse(atob(f.Policy));
    other.conditions.push(["starts-with", "$x-amz-meta-extra", ""]);
    await refused(
      post(p.url, { ...f, Policy: btoa(JSON.stringify(other)), "x-amz-meta-extra": "1" }, file),
      403,
      "SignatureDoesNotMatch",
    );
    await refused(post(p.url, { ...f, Policy: "%%%" }, file), 400, "InvalidPolicyDocument");
    const { key: _key, ...noKey } = f;
    await refused(
      post(p.url, noKey, file),
      400,
      "InvalidArgument",
      "must contain a field named &apos;key&apos;",
    );
    await refused(post(p.url, f, null), 400, "InvalidArgument", "exactly one file");
    const expired = await presignedPost(t.s3, { key: "docs/late.txt", expires: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    await refused(post(expired.url, expired.fields, file), 403, "AccessDenied", "Policy expired");
    const plain = await fetch(p.url, { method: "POST", body: "key=a" });
    assertEquals([plain.status, errorCode(await plain.text())], [412, "PreconditionFailed"]);
    const garbled = await fetch(p.url, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=zz" },
      body: "--zz\r\nno headers here",
    });
    assertEquals([garbled.status, errorCode(await garbled.text())], [400, "MalformedPOSTRequest"]);
    const noBoundary = await fetch(p.url, {
      method: "POST",
      headers: { "content-type": "multipart/form-data" },
      body: "--zz\r\n",
    });
    assertEquals(
      [noBoundary.status, errorCode(await noBoundary.text())],
      [400, "MalformedPOSTRequest"],
    );
    assertEquals(await keysOf(t), []);
    assertEquals(await leftoverTempFiles(t.dataDir), []);
    // And one that keeps every condition is stored.
    assertEquals((await post(p.url, f, file)).status, 204);
    assertEquals(await keysOf(t), ["docs/a.txt"]);
  },
);

postTest("a body cut short leaves nothing behind; fields after the file are ignored", async (t) => {
  const p = await presignedPost(t.s3, { key: "cut.bin" });
  const boundary = "geckoboundary";
  let head = "";
  for (const [k, v] of Object.entries(p.fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  }
  head +=
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`;
  const partial = head + "x".repeat(100_000);
  const request =
    `POST /${B} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
    `Content-Length: ${partial.length + 1_000_000}\r\n\r\n${partial}`;
  await rawHttp(t, request, true);
  // A body that ends without its closing boundary is cut short too.
  const unterminated = head + "y".repeat(1000);
  const r = await rawHttp(
    t,
    `POST /${B} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
      `Content-Length: ${unterminated.length}\r\nConnection: close\r\n\r\n${unterminated}`,
  );
  assertEquals(r.status, 400, r.text);
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(await keysOf(t), []);
  assertEquals(await leftoverTempFiles(t.dataDir), []);
  const after = await post(p.url, p.fields, { name: "f", body: "whole" }, {
    "x-amz-meta-late": "1",
  });
  assertEquals(after.status, 204, after.text);
  const head2 = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "cut.bin" }));
  assertEquals(head2.Metadata, {});
});

postTest("checksum fields are verified and kept", async (t) => {
  const p = await presignedPost(t.s3, {
    key: "sum.txt",
    conditions: [["starts-with", "$x-amz-checksum-sha256", ""]],
  });
  const sha = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="; // sha256("hello")
  const bad = await post(p.url, { ...p.fields, "x-amz-checksum-sha256": sha }, {
    name: "s",
    body: "hullo",
  });
  assertEquals([bad.status, errorCode(bad.text)], [400, "BadDigest"]);
  assertEquals(await keysOf(t), []);
  const good = await post(p.url, { ...p.fields, "x-amz-checksum-sha256": sha }, {
    name: "s",
    body: "hello",
  });
  assertEquals([good.status, good.headers.get("x-amz-checksum-sha256")], [204, sha]);
  const got = await t.s3.send(
    new GetObjectCommand({ Bucket: B, Key: "sum.txt", ChecksumMode: "ENABLED" }),
  );
  assertEquals([got.ChecksumSHA256, await got.Body?.transformToString()], [sha, "hello"]);
});

postTest("a POST is authorized as the user who signed it, or as anonymous", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: "appdata" }));
  await t.s3.send(new CreateBucketCommand({ Bucket: "media" }));
  const reader = clientAs(t.url, READER);
  const app = clientAs(t.url, APP);
  try {
    const byReader = await presignedPost(reader, { bucket: "media", key: "x.txt" });
    const refused = await post(byReader.url, byReader.fields, { name: "x", body: "x" });
    assertEquals([refused.status, errorCode(refused.text)], [403, "AccessDenied"]);
    const byApp = await presignedPost(app, { bucket: "appdata", key: "x.txt" });
    assertEquals((await post(byApp.url, byApp.fields, { name: "x", body: "x" })).status, 204);
    const elsewhere = await presignedPost(app, { bucket: "media", key: "x.txt" });
    assertEquals(
      (await post(elsewhere.url, elsewhere.fields, { name: "x", body: "x" })).status,
      403,
    );
  } finally {
    reader.destroy();
    app.destroy();
  }
  // Anonymous: only where the bucket lets everyone write.
  const anonymous = await post(`${t.url}/${B}`, { key: "anon.txt" }, { name: "a", body: "a" });
  assertEquals([anonymous.status, errorCode(anonymous.text)], [403, "AccessDenied"]);
  await t.s3.send(new PutBucketAclCommand({ Bucket: B, ACL: "public-read-write" }));
  assertEquals(
    (await post(`${t.url}/${B}`, { key: "anon.txt" }, { name: "a", body: "a" })).status,
    204,
  );
  // An acl field is an ACL like any other: BlockPublicAcls refuses a public one.
  await t.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: B,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true },
    }),
  );
  const p = await presignedPost(t.s3, {
    key: "pub.txt",
    conditions: [{ acl: "public-read" }],
    fields: { acl: "public-read" },
  });
  const blocked = await post(p.url, p.fields, { name: "p", body: "p" });
  assertEquals([blocked.status, errorCode(blocked.text)], [403, "AccessDenied"]);
  assertEquals(await keysOf(t), ["anon.txt"]);
});

postTest("SSE-C fields encrypt a posted file with the client's key", async (t) => {
  const keyB64 = btoa("p".repeat(32));
  const md5 = createHash("md5").update("p".repeat(32)).digest("base64");
  const ssec = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": keyB64,
    "x-amz-server-side-encryption-customer-key-md5": md5,
  };
  const p = await presignedPost(t.s3, {
    key: "sealed.txt",
    conditions: Object.keys(ssec).map((k) => ["starts-with", `$${k}`, ""]),
  });
  const r = await post(p.url, { ...p.fields, ...ssec }, { name: "s", body: "posted secret" });
  assertEquals([r.status, r.headers.get("x-amz-server-side-encryption-customer-key-md5")], [
    204,
    md5,
  ]);
  assert(!(await Deno.readTextFile(`${t.dataDir}/${B}/sealed.txt`)).includes("posted secret"));
  const got = await t.s3.send(
    new GetObjectCommand({
      Bucket: B,
      Key: "sealed.txt",
      SSECustomerAlgorithm: "AES256",
      SSECustomerKey: "p".repeat(32),
    }),
  );
  assertEquals(await got.Body?.transformToString(), "posted secret");
  const plain = await fetch(`${t.url}/${B}/sealed.txt`, {
    headers: { authorization: "none" },
  });
  await plain.body?.cancel();
  assertEquals(plain.status >= 400, true);
});

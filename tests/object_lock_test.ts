/**
 * Object Lock with the AWS SDK v3 and raw HTTP: bucket configuration and
 * default retention, retention and legal hold per version, the lock
 * headers of writes and reads, every delete path refused, governance
 * bypass with and without the permission, lifecycle, restarts and a second
 * server process on the same data dir.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type S3Client,
} from "./deps/aws_sdk.ts";
import {
  ACCESS_KEY,
  bytesOf,
  errorCode,
  raw,
  SECRET_KEY,
  serverTest,
  startTestServer,
} from "./support/server.ts";
import { allow, clientAs, type TestUser, writeUsersFile } from "./support/users.ts";
import { freePort, spawnServer } from "./support/process.ts";
import { onePartUpload } from "./support/uploads.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import { createHash } from "node:crypto";
import { eventually } from "./support/wait.ts";

const B = "locked";
const text = (s: string) => new TextEncoder().encode(s);
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);
const LOCKED = "Access Denied because object protected by object lock.";

async function lockBucket(s3: S3Client, bucket = B): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
}

async function put(s3: S3Client, key: string, extra: Record<string, unknown> = {}) {
  const r = await s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: text(key), ...extra }));
  return r.VersionId!;
}

function setVersioning(s3: S3Client, bucket: string, status: "Enabled" | "Suspended") {
  return s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }),
  );
}

/** Puts a legal hold on version `versionId` of `key`. */
function holdOn(s3: S3Client, key: string, versionId: string) {
  return s3.send(
    new PutObjectLegalHoldCommand({
      Bucket: B,
      Key: key,
      VersionId: versionId,
      LegalHold: { Status: "ON" },
    }),
  );
}

/** The S3 error code of a raw response, or "" for none. */
function codeOf(r: { text: string }): string {
  return errorCode(r.text) ?? "";
}

serverTest("a bucket created with Object Lock: versioning pinned, default retention", async (t) => {
  await lockBucket(t.s3);
  const v = await t.s3.send(new GetBucketVersioningCommand({ Bucket: B }));
  assertEquals(v.Status, "Enabled");
  const plain = await t.s3.send(new GetObjectLockConfigurationCommand({ Bucket: B }));
  assertEquals(plain.ObjectLockConfiguration, { ObjectLockEnabled: "Enabled" });
  await assertS3Error(() => setVersioning(t.s3, B, "Suspended"), "InvalidBucketState", 409);
  const rule = { DefaultRetention: { Mode: "GOVERNANCE" as const, Days: 2 } };
  await t.s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: B,
      ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: rule },
    }),
  );
  const got = await t.s3.send(new GetObjectLockConfigurationCommand({ Bucket: B }));
  assertEquals(got.ObjectLockConfiguration, { ObjectLockEnabled: "Enabled", Rule: rule });
  // A new version gets the default retention: two days from now.
  const id = await put(t.s3, "default");
  const retention = await t.s3.send(new GetObjectRetentionCommand({ Bucket: B, Key: "default" }));
  assertEquals(retention.Retention?.Mode, "GOVERNANCE");
  const until = retention.Retention!.RetainUntilDate!.getTime();
  assert(Math.abs(until - inDays(2).getTime()) < 60_000, `until ${until}`);
  // ... and so does a copy, which never takes the source's lock.
  await t.s3.send(
    new CopyObjectCommand({ Bucket: B, Key: "copy", CopySource: `${B}/default?versionId=${id}` }),
  );
  const copy = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "copy" }));
  assertEquals(copy.ObjectLockMode, "GOVERNANCE");
  // Years instead of days; then the rule removed (ObjectLockEnabled alone).
  const years = { DefaultRetention: { Mode: "COMPLIANCE" as const, Years: 1 } };
  await t.s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: B,
      ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: years },
    }),
  );
  const compliant = await put(t.s3, "yearly");
  const head = await t.s3.send(
    new HeadObjectCommand({ Bucket: B, Key: "yearly", VersionId: compliant }),
  );
  assertEquals(head.ObjectLockMode, "COMPLIANCE");
  assert(Math.abs(head.ObjectLockRetainUntilDate!.getTime() - inDays(365).getTime()) < 60_000);
  await t.s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: B,
      ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" },
    }),
  );
  await put(t.s3, "free");
  await assertS3Error(
    () => t.s3.send(new GetObjectRetentionCommand({ Bucket: B, Key: "free" })),
    "NoSuchObjectLockConfiguration",
    404,
  );
});

serverTest("PutObjectLockConfiguration: bad documents and bucket states, as S3", async (t) => {
  await lockBucket(t.s3);
  const putLock = (body: string, bucket = B) =>
    raw(`${t.url}/${bucket}?object-lock`, { method: "PUT", body });
  const doc = (inner: string, enabled = "Enabled") =>
    `<ObjectLockConfiguration><ObjectLockEnabled>${enabled}</ObjectLockEnabled>${inner}` +
    `</ObjectLockConfiguration>`;
  const rule = (retention: string) =>
    `<Rule><DefaultRetention>${retention}</DefaultRetention></Rule>`;
  const cases: [string, number, string][] = [
    [doc(rule("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>")), 400, "MalformedXML"],
    [doc(rule("<Mode>GOVERNANCE</Mode>")), 400, "MalformedXML"],
    [doc(rule("<Mode>GOVERNANCE</Mode><Days>0</Days>")), 400, "InvalidRetentionPeriod"],
    [doc(rule("<Mode>GOVERNANCE</Mode><Years>-1</Years>")), 400, "InvalidRetentionPeriod"],
    [doc(rule("<Mode>GOVERNANCE</Mode><Years>101</Years>")), 400, "InvalidRetentionPeriod"],
    [doc(rule("<Mode>GOVERNANCE</Mode><Days>x</Days>")), 400, "MalformedXML"],
    [doc(rule("<Mode>governance</Mode><Days>1</Days>")), 400, "MalformedXML"],
    [doc(rule("<Mode>GOVERNANCE</Mode><Days>1</Days>"), "Disabled"), 400, "MalformedXML"],
    [doc("<Rule></Rule>"), 400, "MalformedXML"],
    ["<ObjectLockConfiguration>", 400, "MalformedXML"],
  ];
  for (const [body, status, code] of cases) {
    const r = await putLock(body);
    assertEquals([r.status, codeOf(r)], [status, code], body);
  }
  // Enabling it later: only on a bucket whose versioning is Enabled, as S3 now allows.
  await t.s3.send(new CreateBucketCommand({ Bucket: "later" }));
  const enable = doc(rule("<Mode>GOVERNANCE</Mode><Days>1</Days>"));
  let r = await putLock(enable, "later");
  assertEquals([r.status, codeOf(r)], [409, "InvalidBucketState"]);
  await setVersioning(t.s3, "later", "Suspended");
  r = await putLock(enable, "later");
  assertEquals([r.status, codeOf(r)], [409, "InvalidBucketState"]);
  await setVersioning(t.s3, "later", "Enabled");
  r = await putLock(enable, "later");
  assertEquals(r.status, 200, r.text);
  const suspend = await raw(`${t.url}/later?versioning`, {
    method: "PUT",
    body: "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>",
  });
  assertEquals([suspend.status, codeOf(suspend)], [409, "InvalidBucketState"]);
  // A bucket without it: no configuration, and no lock on its objects.
  await t.s3.send(new CreateBucketCommand({ Bucket: "plain" }));
  await assertS3Error(
    () => t.s3.send(new GetObjectLockConfigurationCommand({ Bucket: "plain" })),
    "ObjectLockConfigurationNotFoundError",
    404,
  );
  await t.s3.send(new PutObjectCommand({ Bucket: "plain", Key: "k", Body: text("k") }));
  for (const sub of ["retention", "legal-hold"]) {
    const got = await raw(`${t.url}/plain/k?${sub}`);
    assertEquals([got.status, codeOf(got)], [400, "InvalidRequest"]);
  }
  const locked = await raw(`${t.url}/plain/k2`, {
    method: "PUT",
    body: text("x"),
    headers: { "x-amz-object-lock-legal-hold": "ON", "content-md5": md5(text("x")) },
  });
  assertEquals([locked.status, codeOf(locked)], [400, "InvalidRequest"]);
  assert(locked.text.includes("Bucket is missing Object Lock Configuration"), locked.text);
});

function md5(data: Uint8Array): string {
  return createHash("md5").update(data).digest("base64");
}

serverTest(
  "lock headers on PUT, multipart and GET/HEAD; bad headers; proof of bytes",
  async (t) => {
    await lockBucket(t.s3);
    const until = new Date(Date.UTC(2099, 0, 1));
    const id = await put(t.s3, "k", {
      ObjectLockMode: "GOVERNANCE",
      ObjectLockRetainUntilDate: until,
      ObjectLockLegalHoldStatus: "ON",
    });
    const get = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "k", VersionId: id }));
    assertEquals(
      [get.ObjectLockMode, get.ObjectLockRetainUntilDate, get.ObjectLockLegalHoldStatus],
      ["GOVERNANCE", until, "ON"],
    );
    await bytesOf(get.Body);
    const hold = await t.s3.send(new GetObjectLegalHoldCommand({ Bucket: B, Key: "k" }));
    assertEquals(hold.LegalHold?.Status, "ON");
    // Multipart: the lock asked for at create is the object's.
    const done = await onePartUpload(t.s3, { Bucket: B, Key: "big" }, text("abc"), {
      ObjectLockMode: "COMPLIANCE",
      ObjectLockRetainUntilDate: until,
    });
    const big = await t.s3.send(
      new HeadObjectCommand({ Bucket: B, Key: "big", VersionId: done.VersionId }),
    );
    assertEquals([big.ObjectLockMode, big.ObjectLockRetainUntilDate], ["COMPLIANCE", until]);
    await assertS3Error(
      () =>
        t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "big", VersionId: done.VersionId })),
      "AccessDenied",
      403,
    );
    // A browser POST's lock fields work as the headers do.
    const form = new FormData();
    form.append("key", "posted");
    form.append("x-amz-object-lock-mode", "COMPLIANCE");
    form.append("x-amz-object-lock-retain-until-date", "2099-01-01T00:00:00Z");
    form.append("file", new Blob([text("posted")]), "posted.txt");
    const posted = await fetch(`${t.url}/${B}`, { method: "POST", body: form });
    assertEquals(posted.status, 204, await posted.text());
    const postedHead = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "posted" }));
    assertEquals([postedHead.ObjectLockMode, postedHead.ObjectLockRetainUntilDate], [
      "COMPLIANCE",
      until,
    ]);
    // Header errors, each as S3 answers it.
    const body = text("x");
    const putWith = (headers: Record<string, string>) =>
      raw(`${t.url}/${B}/bad`, { method: "PUT", body, headers });
    const future = "2099-01-01T00:00:00Z";
    const cases: [Record<string, string>, string][] = [
      [{ "x-amz-object-lock-mode": "GOVERNANCE" }, "must both be supplied"],
      [{ "x-amz-object-lock-retain-until-date": future }, "must both be supplied"],
      [{
        "x-amz-object-lock-mode": "Governance",
        "x-amz-object-lock-retain-until-date": future,
      }, "Unknown wormMode directive"],
      [{
        "x-amz-object-lock-mode": "GOVERNANCE",
        "x-amz-object-lock-retain-until-date": "2001-01-01T00:00:00Z",
      }, "must be in the future"],
      [{
        "x-amz-object-lock-mode": "GOVERNANCE",
        "x-amz-object-lock-retain-until-date": "tomorrow",
      }, "ISO 8601"],
      [{ "x-amz-object-lock-legal-hold": "on" }, "Legal Hold must be either of"],
    ];
    for (const [headers, message] of cases) {
      const r = await putWith({ ...headers, "content-md5": md5(body) });
      assertEquals([r.status, codeOf(r)], [400, "InvalidArgument"], JSON.stringify(headers));
      assert(r.text.includes(message), r.text);
    }
    // A locked write must prove its bytes: Content-MD5 or a flexible checksum.
    const lockHeaders = {
      "x-amz-object-lock-mode": "GOVERNANCE",
      "x-amz-object-lock-retain-until-date": future,
    };
    const bare = await putWith(lockHeaders);
    assertEquals([bare.status, codeOf(bare)], [400, "InvalidRequest"]);
    assert(bare.text.includes("Content-MD5 OR x-amz-checksum- HTTP header is required"), bare.text);
    assertEquals((await putWith({ ...lockHeaders, "content-md5": md5(body) })).status, 200);
    const crc = await putWith({ ...lockHeaders, "x-amz-checksum-crc32": "jNwWgw==" });
    assertEquals(crc.status, 200, crc.text);
    // Without a lock, no proof is asked for.
    assertEquals((await putWith({})).status, 200);
    // Nothing refused left a version behind: bad, three times (two locked, one not).
    const listed = await t.s3.send(new ListObjectVersionsCommand({ Bucket: B, Prefix: "bad" }));
    assertEquals(listed.Versions?.length, 3);
  },
);

serverTest("retention changes: extend, shorten, bypass, modes, removal", async (t) => {
  await lockBucket(t.s3);
  const id = await put(t.s3, "k");
  const setRetention = (
    mode: "GOVERNANCE" | "COMPLIANCE",
    days: number,
    bypass?: boolean,
    key = "k",
  ) =>
    t.s3.send(
      new PutObjectRetentionCommand({
        Bucket: B,
        Key: key,
        Retention: { Mode: mode, RetainUntilDate: inDays(days) },
        BypassGovernanceRetention: bypass,
      }),
    );
  const retentionOf = async (key = "k") =>
    (await t.s3.send(new GetObjectRetentionCommand({ Bucket: B, Key: key }))).Retention;
  await setRetention("GOVERNANCE", 3);
  await setRetention("GOVERNANCE", 5); // extending needs nothing
  await assertS3Error(() => setRetention("GOVERNANCE", 4), "AccessDenied", 403);
  await assertS3Error(() => setRetention("COMPLIANCE", 6), "AccessDenied", 403);
  await setRetention("GOVERNANCE", 4, true);
  assertEquals((await retentionOf())?.Mode, "GOVERNANCE");
  assert(Math.abs((await retentionOf())!.RetainUntilDate!.getTime() - inDays(4).getTime()) < 5000);
  // Removing a GOVERNANCE retention: only with the bypass.
  const remove = (bypass: boolean) =>
    raw(`${t.url}/${B}/k?retention`, {
      method: "PUT",
      body: "<Retention/>",
      headers: bypass ? { "x-amz-bypass-governance-retention": "true" } : {},
    });
  let r = await remove(false);
  assertEquals([r.status, codeOf(r)], [403, "AccessDenied"]);
  assert(r.text.includes(LOCKED), r.text);
  r = await remove(true);
  assertEquals(r.status, 200, r.text);
  await assertS3Error(() => retentionOf(), "NoSuchObjectLockConfiguration", 404);
  // GOVERNANCE made COMPLIANCE with the bypass; then COMPLIANCE only ever extends.
  await setRetention("GOVERNANCE", 2);
  await setRetention("COMPLIANCE", 2, true);
  await assertS3Error(() => setRetention("COMPLIANCE", 1, true), "AccessDenied", 403);
  await assertS3Error(() => setRetention("GOVERNANCE", 3, true), "AccessDenied", 403);
  r = await remove(true);
  assertEquals([r.status, codeOf(r)], [403, "AccessDenied"]);
  await setRetention("COMPLIANCE", 3);
  assertEquals((await retentionOf())?.Mode, "COMPLIANCE");
  // By version id, on a noncurrent version too.
  await put(t.s3, "k");
  const old = await t.s3.send(
    new GetObjectRetentionCommand({ Bucket: B, Key: "k", VersionId: id }),
  );
  assertEquals(old.Retention?.Mode, "COMPLIANCE");
  await holdOn(t.s3, "k", id);
  const hold = await t.s3.send(
    new GetObjectLegalHoldCommand({ Bucket: B, Key: "k", VersionId: id }),
  );
  assertEquals(hold.LegalHold?.Status, "ON");
  // Bad documents.
  const bad: [string, number, string][] = [
    ["<Retention><Mode>GOVERNANCE</Mode></Retention>", 400, "MalformedXML"],
    [
      "<Retention><Mode>governance</Mode><RetainUntilDate>2099-01-01T00:00:00Z</RetainUntilDate></Retention>",
      400,
      "MalformedXML",
    ],
    [
      "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2001-01-01T00:00:00Z</RetainUntilDate></Retention>",
      400,
      "InvalidArgument",
    ],
    [
      "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>soon</RetainUntilDate></Retention>",
      400,
      "MalformedXML",
    ],
  ];
  for (const [body, status, code] of bad) {
    const got = await raw(`${t.url}/${B}/k?retention`, { method: "PUT", body });
    assertEquals([got.status, codeOf(got)], [status, code], body);
  }
  const badHold = await raw(`${t.url}/${B}/k?legal-hold`, {
    method: "PUT",
    body: "<LegalHold><Status>on</Status></LegalHold>",
  });
  assertEquals([badHold.status, codeOf(badHold)], [400, "MalformedXML"]);
  const missing = await raw(`${t.url}/${B}/nope?retention`);
  assertEquals([missing.status, codeOf(missing)], [404, "NoSuchKey"]);
});

serverTest("no delete gets past a lock: by id, in a batch, a marker on top, rename", async (t) => {
  await lockBucket(t.s3);
  const governed = await put(t.s3, "governed", {
    ObjectLockMode: "GOVERNANCE",
    ObjectLockRetainUntilDate: inDays(1),
  });
  const compliant = await put(t.s3, "compliant", {
    ObjectLockMode: "COMPLIANCE",
    ObjectLockRetainUntilDate: inDays(1),
  });
  const held = await put(t.s3, "held", { ObjectLockLegalHoldStatus: "ON" });
  const free = await put(t.s3, "free");
  const deleteVersion = (key: string, id: string, bypass?: boolean) =>
    raw(`${t.url}/${B}/${key}?versionId=${id}`, {
      method: "DELETE",
      headers: bypass ? { "x-amz-bypass-governance-retention": "true" } : {},
    });
  for (const [key, id] of [["governed", governed], ["compliant", compliant], ["held", held]]) {
    const r = await deleteVersion(key, id);
    assertEquals([r.status, codeOf(r)], [403, "AccessDenied"], key);
    assert(r.text.includes(LOCKED), r.text);
  }
  // Without a version id, a delete adds a marker, as on S3; the version stays.
  const marker = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "governed" }));
  assertEquals(marker.DeleteMarker, true);
  assertEquals((await deleteVersion("governed", governed)).status, 403);
  // DeleteObjects: each locked version is an error of its own, the free one goes.
  const batch = await t.s3.send(
    new DeleteObjectsCommand({
      Bucket: B,
      Delete: {
        Objects: [
          { Key: "compliant", VersionId: compliant },
          { Key: "held", VersionId: held },
          { Key: "free", VersionId: free },
        ],
      },
    }),
  );
  assertEquals(batch.Deleted?.map((d) => [d.Key, d.VersionId]), [["free", free]]);
  assertEquals(
    batch.Errors?.map((e) => [e.Key, e.VersionId, e.Code, e.Message]),
    [
      ["compliant", compliant, "AccessDenied", LOCKED],
      ["held", held, "AccessDenied", LOCKED],
    ],
  );
  // The bypass opens GOVERNANCE only: never COMPLIANCE, never a legal hold.
  assertEquals((await deleteVersion("compliant", compliant, true)).status, 403);
  assertEquals((await deleteVersion("held", held, true)).status, 403);
  const bypassed = await t.s3.send(
    new DeleteObjectsCommand({
      Bucket: B,
      BypassGovernanceRetention: true,
      Delete: { Objects: [{ Key: "governed", VersionId: governed }] },
    }),
  );
  assertEquals(bypassed.Errors ?? [], []);
  assertEquals(bypassed.Deleted?.[0]?.VersionId, governed);
  // RenameObject: not in a bucket with versions, so not here; the object stays.
  const rename = await raw(`${t.url}/${B}/moved?renameObject`, {
    method: "PUT",
    headers: { "x-amz-rename-source": `/${B}/compliant` },
    body: "",
  });
  assertEquals([rename.status, codeOf(rename)], [400, "InvalidRequest"]);
  const still = await t.s3.send(
    new HeadObjectCommand({ Bucket: B, Key: "compliant", VersionId: compliant }),
  );
  assertEquals(still.ObjectLockMode, "COMPLIANCE");
});

serverTest("a legal hold keeps a version after its retention has passed", async (t) => {
  await lockBucket(t.s3);
  const until = new Date(Date.now() + 1500);
  const id = await put(t.s3, "k", {
    ObjectLockMode: "COMPLIANCE",
    ObjectLockRetainUntilDate: until,
    ObjectLockLegalHoldStatus: "ON",
  });
  await new Promise((r) => setTimeout(r, until.getTime() - Date.now() + 200));
  const target = { Bucket: B, Key: "k", VersionId: id };
  await assertS3Error(() => t.s3.send(new DeleteObjectCommand(target)), "AccessDenied", 403);
  await t.s3.send(new PutObjectLegalHoldCommand({ ...target, LegalHold: { Status: "OFF" } }));
  const off = await t.s3.send(new GetObjectLegalHoldCommand(target));
  assertEquals(off.LegalHold?.Status, "OFF");
  await t.s3.send(new DeleteObjectCommand(target));
  const left = await t.s3.send(new ListObjectVersionsCommand({ Bucket: B }));
  assertEquals(left.Versions ?? [], []);
});

serverTest(
  "lifecycle removes the noncurrent versions it may and keeps the locked ones",
  async (t) => {
    await lockBucket(t.s3);
    const locked = await put(t.s3, "doc", {
      ObjectLockMode: "GOVERNANCE",
      ObjectLockRetainUntilDate: inDays(1),
    });
    const held = await put(t.s3, "doc", { ObjectLockLegalHoldStatus: "ON" });
    const free = await put(t.s3, "doc");
    await put(t.s3, "doc"); // the current version
    await t.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: {
          Rules: [{
            ID: "old",
            Status: "Enabled",
            Filter: { Prefix: "" },
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          }],
        },
      }),
    );
    const ids = async () =>
      ((await t.s3.send(new ListObjectVersionsCommand({ Bucket: B }))).Versions ?? [])
        .map((v) => v.VersionId!);
    await eventually(async () => !(await ids()).includes(free), "the free version removed", {
      ms: 15_000,
      every: 200,
    });
    // Passes go on; the locked ones stay through them.
    await new Promise((r) => setTimeout(r, 1500));
    const left = await ids();
    assert(left.includes(locked) && left.includes(held), `left ${left}`);
    assertEquals(left.length, 3);
    const metrics = await raw(`${t.url}/metrics`);
    assert(
      /geckos3_lifecycle_actions_total\{action="lockedKept"\} [1-9]/.test(metrics.text),
      metrics.text,
    );
  },
  { lifecycleDaySeconds: 1 },
);

serverTest("locks are durable: a restart on the same data dir keeps every one", async (t) => {
  await lockBucket(t.s3);
  const id = await put(t.s3, "k");
  await t.s3.send(
    new PutObjectRetentionCommand({
      Bucket: B,
      Key: "k",
      Retention: { Mode: "COMPLIANCE", RetainUntilDate: inDays(1) },
    }),
  );
  await put(t.s3, "k"); // the locked version becomes noncurrent
  await holdOn(t.s3, "k", id);
  const again = await startTestServer({ auth: false, dataDir: t.dataDir });
  try {
    const head = await again.s3.send(new HeadObjectCommand({ Bucket: B, Key: "k", VersionId: id }));
    assertEquals([head.ObjectLockMode, head.ObjectLockLegalHoldStatus], ["COMPLIANCE", "ON"]);
    await assertS3Error(
      () => again.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: id })),
      "AccessDenied",
      403,
    );
    const lock = await again.s3.send(new GetObjectLockConfigurationCommand({ Bucket: B }));
    assertEquals(lock.ObjectLockConfiguration?.ObjectLockEnabled, "Enabled");
  } finally {
    await again.close();
  }
});

Deno.test({
  name: "a second server process on the same data dir honours every lock",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const first = await startTestServer({ auth: false });
    const port = await freePort();
    const second = await spawnServer([
      `-data-dir=${first.dataDir}`,
      `-listen=127.0.0.1:${port}`,
      "-auth=false",
    ]);
    try {
      await lockBucket(first.s3);
      const id = await put(first.s3, "k", {
        ObjectLockMode: "GOVERNANCE",
        ObjectLockRetainUntilDate: inDays(1),
      });
      const free = await put(first.s3, "k");
      const viaSecond = (path: string, init: RequestInit = {}) =>
        raw(`${second.url}/${B}${path}`, init);
      let r = await viaSecond(`/k?versionId=${id}`, { method: "DELETE" });
      assertEquals([r.status, codeOf(r)], [403, "AccessDenied"]);
      r = await viaSecond("?versioning", {
        method: "PUT",
        body: "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>",
      });
      assertEquals([r.status, codeOf(r)], [409, "InvalidBucketState"]);
      // A hold the second process sets, the first one keeps.
      r = await viaSecond(`/k?legal-hold&versionId=${free}`, {
        method: "PUT",
        body: "<LegalHold><Status>ON</Status></LegalHold>",
      });
      assertEquals(r.status, 200, r.text);
      await assertS3Error(
        () => first.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: free })),
        "AccessDenied",
        403,
      );
      r = await viaSecond(`/k?versionId=${id}`, { method: "HEAD" });
      assertEquals(r.headers.get("x-amz-object-lock-mode"), "GOVERNANCE");
    } finally {
      await second.stop();
      await first.close();
    }
  },
});

Deno.test({
  name: "governance bypass needs s3:BypassGovernanceRetention as well as the header",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const resources = [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`];
    const worker: TestUser = {
      accessKey: "worker-key",
      secretKey: "worker-secret",
      name: "worker",
      policy: allow(
        ["s3:PutObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:ListBucket"],
        resources,
      ),
    };
    const steward: TestUser = {
      accessKey: "steward-key",
      secretKey: "steward-secret",
      name: "steward",
      policy: allow(
        ["s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention"],
        resources,
      ),
    };
    const usersFile = await writeUsersFile([worker, steward]);
    const t = await startTestServer({
      auth: true,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      credentialsFile: usersFile,
    });
    const asWorker = clientAs(t.url, worker);
    const asSteward = clientAs(t.url, steward);
    try {
      await lockBucket(t.s3);
      const governed = () =>
        put(asWorker, "k", {
          ObjectLockMode: "GOVERNANCE",
          ObjectLockRetainUntilDate: inDays(1),
        });
      const a = await governed();
      const remove = (s3: S3Client, VersionId: string) =>
        s3.send(
          new DeleteObjectCommand({
            Bucket: B,
            Key: "k",
            VersionId,
            BypassGovernanceRetention: true,
          }),
        );
      await assertS3Error(() => remove(asWorker, a), "AccessDenied", 403);
      const shorten = (s3: S3Client) =>
        s3.send(
          new PutObjectRetentionCommand({
            Bucket: B,
            Key: "k",
            VersionId: a,
            BypassGovernanceRetention: true,
            Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(Date.now() + 60_000) },
          }),
        );
      await assertS3Error(() => shorten(asWorker), "AccessDenied", 403);
      await shorten(asSteward);
      await remove(asSteward, a);
      const b = await governed();
      const batch = await asWorker.send(
        new DeleteObjectsCommand({
          Bucket: B,
          BypassGovernanceRetention: true,
          Delete: { Objects: [{ Key: "k", VersionId: b }] },
        }),
      );
      assertEquals(batch.Errors?.map((e) => e.Code), ["AccessDenied"]);
      const byAdmin = await t.s3.send(
        new DeleteObjectsCommand({
          Bucket: B,
          BypassGovernanceRetention: true,
          Delete: { Objects: [{ Key: "k", VersionId: b }] },
        }),
      );
      assertEquals(byAdmin.Deleted?.map((d) => d.VersionId), [b]);
    } finally {
      asWorker.destroy();
      asSteward.destroy();
      await t.close();
      await Deno.remove(usersFile.replace(/\/users\.json$/, ""), { recursive: true });
    }
  },
});

/**
 * Who may do what, with real clients: users of a users file signing with the
 * JS SDK, anonymous requests with curl, bucket policies, canned ACLs, grant
 * XML, ownership controls and public access blocks, as S3 answers them.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  getSignedUrl,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  UploadPartCommand,
} from "./deps/aws_sdk.ts";
import { assert, assertEquals, assertRejects, assertS3Error } from "./support/assert.ts";
import { startTestServer, type TestServer } from "./support/server.ts";
import {
  allow,
  APP,
  clientAs,
  NOBODY,
  READER,
  type TestUser,
  writeUsersFile,
} from "./support/users.ts";
import { eventually } from "./support/wait.ts";

const ARN = "arn:aws:iam::000000000000:user";

/** A server with auth on and the test users, plus a client per user. */
async function withUsers(
  fn: (
    t: TestServer & { reader: S3Client; app: S3Client; nobody: S3Client; usersFile: string },
  ) => Promise<void>,
  users: TestUser[] = [READER, APP, NOBODY],
): Promise<void> {
  const usersFile = await writeUsersFile(users);
  const t = await startTestServer({ auth: true, credentialsFile: usersFile });
  const clients = {
    reader: clientAs(t.url, READER),
    app: clientAs(t.url, APP),
    nobody: clientAs(t.url, NOBODY),
  };
  try {
    await t.s3.send(new CreateBucketCommand({ Bucket: "media" }));
    await t.s3.send(new CreateBucketCommand({ Bucket: "appdata" }));
    await t.s3.send(new PutObjectCommand({ Bucket: "media", Key: "song.mp3", Body: "la la" }));
    await fn({ ...t, ...clients, usersFile });
  } finally {
    for (const c of Object.values(clients)) c.destroy();
    await t.close();
    await Deno.remove(usersFile.slice(0, usersFile.lastIndexOf("/")), { recursive: true });
  }
}

function accessTest(name: string, fn: Parameters<typeof withUsers>[0]): void {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn: () => withUsers(fn) });
}

/** An unsigned request with curl: status, body and headers. */
async function curl(
  url: string,
  args: string[] = [],
): Promise<{ status: number; body: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-g", "-o", "-", "-w", "\n%{http_code}", ...args, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const cut = text.lastIndexOf("\n");
  return { status: Number(text.slice(cut + 1)), body: text.slice(0, cut) };
}

const text = (body: unknown) =>
  (body as { transformToString(): Promise<string> }).transformToString();

const putPolicy = (s3: S3Client, bucket: string, statements: unknown[]) =>
  s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    }),
  );

accessTest("a read-only key reads and lists, and is refused PUT and DELETE", async (t) => {
  const got = await t.reader.send(new GetObjectCommand({ Bucket: "media", Key: "song.mp3" }));
  assertEquals(await text(got.Body), "la la");
  const list = await t.reader.send(new ListObjectsV2Command({ Bucket: "media" }));
  assertEquals(list.Contents?.map((o) => o.Key), ["song.mp3"]);
  await assertS3Error(
    () => t.reader.send(new PutObjectCommand({ Bucket: "media", Key: "new", Body: "x" })),
    "AccessDenied",
    403,
  );
  await assertS3Error(
    () => t.reader.send(new DeleteObjectCommand({ Bucket: "media", Key: "song.mp3" })),
    "AccessDenied",
    403,
  );
  const batch = await t.reader.send(
    new DeleteObjectsCommand({ Bucket: "media", Delete: { Objects: [{ Key: "song.mp3" }] } }),
  );
  assertEquals(batch.Errors?.map((e) => [e.Key, e.Code]), [["song.mp3", "AccessDenied"]]);
  assertEquals(batch.Deleted ?? [], []);
  // A presigned URL is the signing user's request: GET works, PUT does not.
  const getUrl = await getSignedUrl(
    t.reader,
    new GetObjectCommand({ Bucket: "media", Key: "song.mp3" }),
  );
  assertEquals((await curl(getUrl)).body, "la la");
  const putUrl = await getSignedUrl(t.reader, new PutObjectCommand({ Bucket: "media", Key: "p" }));
  const put = await curl(putUrl, ["-X", "PUT", "--data-binary", "x"]);
  assertEquals(put.status, 403);
  assert(put.body.includes("<Code>AccessDenied</Code>") && put.body.includes("<RequestId>"));
  // The object is untouched.
  const again = await t.s3.send(new GetObjectCommand({ Bucket: "media", Key: "song.mp3" }));
  assertEquals(await text(again.Body), "la la");
});

accessTest("a key for one bucket works there and is refused everywhere else", async (t) => {
  await t.app.send(new PutObjectCommand({ Bucket: "appdata", Key: "a.json", Body: "{}" }));
  const got = await t.app.send(new GetObjectCommand({ Bucket: "appdata", Key: "a.json" }));
  assertEquals(await text(got.Body), "{}");
  await t.app.send(new DeleteObjectCommand({ Bucket: "appdata", Key: "a.json" }));
  for (
    const call of [
      () => t.app.send(new GetObjectCommand({ Bucket: "media", Key: "song.mp3" })),
      () => t.app.send(new PutObjectCommand({ Bucket: "media", Key: "x", Body: "x" })),
      () => t.app.send(new ListObjectsV2Command({ Bucket: "media" })),
      () => t.app.send(new CreateBucketCommand({ Bucket: "elsewhere" })),
      () =>
        t.app.send(
          new CopyObjectCommand({ Bucket: "appdata", Key: "c", CopySource: "media/song.mp3" }),
        ),
      () => t.app.send(new GetBucketPolicyCommand({ Bucket: "media" })),
    ]
  ) await assertS3Error(call, "AccessDenied", 403);
  // ListBuckets shows the buckets the key may list, and only those.
  const mine = await t.app.send(new ListBucketsCommand({}));
  assertEquals(mine.Buckets?.map((b) => b.Name), ["appdata"]);
  const all = await t.s3.send(new ListBucketsCommand({}));
  assertEquals(all.Buckets?.map((b) => b.Name), ["appdata", "media"]);
  // Whether a key exists is told only to those who may list the bucket.
  await assertS3Error(
    () => t.app.send(new GetObjectCommand({ Bucket: "appdata", Key: "gone" })),
    "NoSuchKey",
    404,
  );
  await assertS3Error(
    () => t.nobody.send(new GetObjectCommand({ Bucket: "media", Key: "gone" })),
    "AccessDenied",
    403,
  );
  // An unknown key is refused before anything is read.
  const stranger = clientAs(t.url, { accessKey: "stranger", secretKey: "x" });
  await assertS3Error(() => stranger.send(new ListBucketsCommand({})), "InvalidAccessKeyId", 403);
  stranger.destroy();
});

accessTest("public-read objects and public buckets are served without a signature", async (t) => {
  await t.s3.send(
    new PutObjectCommand({ Bucket: "media", Key: "cover.jpg", Body: "jpeg", ACL: "public-read" }),
  );
  assertEquals(await curl(`${t.url}/media/cover.jpg`), { status: 200, body: "jpeg" });
  const denied = await curl(`${t.url}/media/song.mp3`);
  assertEquals(denied.status, 403);
  assert(denied.body.includes("<Code>AccessDenied</Code>") && denied.body.includes("<RequestId>"));
  // An anonymous write or listing stays refused.
  assertEquals(
    (await curl(`${t.url}/media/cover.jpg`, ["-X", "PUT", "--data-binary", "x"])).status,
    403,
  );
  assertEquals((await curl(`${t.url}/media?list-type=2`)).status, 403);
  // A bucket policy granting s3:GetObject to everyone makes every object public.
  await t.s3.send(new CreateBucketCommand({ Bucket: "site" }));
  await t.s3.send(new PutObjectCommand({ Bucket: "site", Key: "index.html", Body: "<h1>hi</h1>" }));
  await assertS3Error(
    () => t.s3.send(new GetBucketPolicyStatusCommand({ Bucket: "site" })),
    "NoSuchBucketPolicy",
    404,
  );
  assertEquals((await curl(`${t.url}/site/index.html`)).status, 403);
  await putPolicy(t.s3, "site", [
    { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::site/*" },
  ]);
  assertEquals(await curl(`${t.url}/site/index.html`), { status: 200, body: "<h1>hi</h1>" });
  assertEquals((await curl(`${t.url}/site/index.html`, ["-I"])).status, 200);
  assertEquals((await curl(`${t.url}/site/missing`)).status, 403); // no s3:ListBucket: no 404
  const status = await t.s3.send(new GetBucketPolicyStatusCommand({ Bucket: "site" }));
  assertEquals(status.PolicyStatus?.IsPublic, true);
  assertEquals((await curl(`${t.url}/site/index.html`, ["-X", "DELETE"])).status, 403);
  await t.s3.send(new DeleteBucketPolicyCommand({ Bucket: "site" }));
  assertEquals((await curl(`${t.url}/site/index.html`)).status, 403);
});

accessTest("an explicit Deny beats every Allow", async (t) => {
  await t.s3.send(new PutObjectCommand({ Bucket: "media", Key: "secret/plan.txt", Body: "plan" }));
  await putPolicy(t.s3, "media", [
    { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::media/*" },
    {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::media/secret/*",
    },
  ]);
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 200);
  assertEquals((await curl(`${t.url}/media/secret/plan.txt`)).status, 403);
  // The reader's own Allow does not get past the bucket's Deny either.
  await assertS3Error(
    () => t.reader.send(new GetObjectCommand({ Bucket: "media", Key: "secret/plan.txt" })),
    "AccessDenied",
    403,
  );
  // The administrator may do everything.
  const plan = await t.s3.send(new GetObjectCommand({ Bucket: "media", Key: "secret/plan.txt" }));
  assertEquals(await text(plan.Body), "plan");
  // A Deny in a user's own policy beats the bucket's Allow.
  await writeUsersFile([
    READER,
    APP,
    {
      ...NOBODY,
      policy: {
        Version: "2012-10-17",
        Statement: [{
          Effect: "Deny",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::media/song.mp3",
        }],
      },
    },
  ], t.usersFile);
  await waitFor(() =>
    t.nobody.send(new GetObjectCommand({ Bucket: "media", Key: "song.mp3" })).then(
      () => false,
      () => true,
    )
  );
});

accessTest("conditions on the listed prefix and the source address", async (t) => {
  await putPolicy(t.s3, "media", [{
    Effect: "Allow",
    Principal: { AWS: [`${ARN}/nobody`] },
    Action: "s3:ListBucket",
    Resource: "arn:aws:s3:::media",
    Condition: { StringLike: { "s3:prefix": "home/${aws:username}/*" } },
  }]);
  await t.nobody.send(new ListObjectsV2Command({ Bucket: "media", Prefix: "home/nobody/" }));
  await assertS3Error(
    () => t.nobody.send(new ListObjectsV2Command({ Bucket: "media", Prefix: "home/reader/" })),
    "AccessDenied",
    403,
  );
  await assertS3Error(
    () => t.nobody.send(new ListObjectsV2Command({ Bucket: "media" })),
    "AccessDenied",
    403,
  );
  const onlyFrom = (cidr: string) =>
    putPolicy(t.s3, "media", [{
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::media/*",
      Condition: { IpAddress: { "aws:SourceIp": cidr } },
    }]);
  await onlyFrom("127.0.0.0/8");
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 200);
  await onlyFrom("10.0.0.0/8");
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 403);
  // Tags: the object's own (s3:ExistingObjectTag) and the request's (s3:RequestObjectTag).
  await t.s3.send(
    new PutObjectCommand({ Bucket: "media", Key: "tagged", Body: "t", Tagging: "share=yes" }),
  );
  await putPolicy(t.s3, "media", [
    {
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::media/*",
      Condition: { StringEquals: { "s3:ExistingObjectTag/share": "yes" } },
    },
    {
      Effect: "Allow",
      Principal: { AWS: `${ARN}/nobody` },
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::media/*",
      Condition: { StringEquals: { "s3:RequestObjectTag/owner": "${aws:username}" } },
    },
  ]);
  assertEquals((await curl(`${t.url}/media/tagged`)).status, 200);
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 403);
  await t.nobody.send(
    new PutObjectCommand({ Bucket: "media", Key: "n", Body: "n", Tagging: "owner=nobody" }),
  );
  await assertS3Error(
    () =>
      t.nobody.send(
        new PutObjectCommand({ Bucket: "media", Key: "n", Body: "n", Tagging: "owner=reader" }),
      ),
    "AccessDenied",
    403,
  );
});

accessTest("malformed policies are refused with S3's codes and messages", async (t) => {
  const refused = async (policy: string, message: string) => {
    const e = await assertRejects(() =>
      t.s3.send(new PutBucketPolicyCommand({ Bucket: "media", Policy: policy }))
    ) as {
      name: string;
      message: string;
      $metadata: { httpStatusCode: number };
    };
    assertEquals([e.name, e.$metadata.httpStatusCode, e.message], [
      "MalformedPolicy",
      400,
      message,
    ]);
  };
  const one = (s: Record<string, unknown>) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: "arn:aws:s3:::media/*",
        ...s,
      }],
    });
  await refused("not json", "Policies must be valid JSON and the first byte must be '{'");
  await refused("{", "This policy contains invalid Json");
  await refused(one({ Action: "s3:GetObjects" }), "Policy has invalid action");
  await refused(one({ Resource: "arn:aws:s3:::appdata/*" }), "Policy has invalid resource");
  await refused(one({ Principal: { AWS: "reader" } }), "Invalid principal in policy");
  await refused(
    one({ Resource: "arn:aws:s3:::media" }),
    "Action does not apply to any resource(s) in statement",
  );
  await refused('{"Version": "2012-10-17"}', "Missing required field Statement");
  await assertS3Error(
    () => t.s3.send(new GetBucketPolicyCommand({ Bucket: "media" })),
    "NoSuchBucketPolicy",
    404,
  );
  // What is accepted comes back byte for byte.
  const policy = one({ Sid: "Public" }).replace("{", "{ ");
  await t.s3.send(new PutBucketPolicyCommand({ Bucket: "media", Policy: policy }));
  assertEquals((await t.s3.send(new GetBucketPolicyCommand({ Bucket: "media" }))).Policy, policy);
  await assertS3Error(
    () => t.s3.send(new GetBucketPolicyCommand({ Bucket: "nope" })),
    "NoSuchBucket",
    404,
  );
});

accessTest("ACL calls round-trip their XML and are honoured", async (t) => {
  const grants = (
    g: { Grantee?: { URI?: string; ID?: string; Type?: string }; Permission?: string }[] = [],
  ) => g.map((x) => `${x.Grantee?.Type}:${x.Grantee?.URI ?? "owner"}:${x.Permission}`).sort();
  const owner = await t.s3.send(new GetBucketAclCommand({ Bucket: "media" }));
  assertEquals(grants(owner.Grants), ["CanonicalUser:owner:FULL_CONTROL"]);
  const ownerId = owner.Owner!.ID!;
  assertEquals(owner.Grants?.[0].Grantee?.ID, ownerId);
  // The grant XML: the owner, and READ for everyone.
  await t.s3.send(
    new PutBucketAclCommand({
      Bucket: "media",
      AccessControlPolicy: {
        Owner: { ID: ownerId },
        Grants: [
          { Grantee: { Type: "CanonicalUser", ID: ownerId }, Permission: "FULL_CONTROL" },
          {
            Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" },
            Permission: "READ",
          },
        ],
      },
    }),
  );
  const bucketAcl = await t.s3.send(new GetBucketAclCommand({ Bucket: "media" }));
  assertEquals(grants(bucketAcl.Grants), [
    "CanonicalUser:owner:FULL_CONTROL",
    "Group:http://acs.amazonaws.com/groups/global/AllUsers:READ",
  ]);
  assertEquals((await curl(`${t.url}/media?list-type=2`)).status, 200); // bucket READ lists
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 403); // not the objects' READ
  // Grant headers on an object: every signed request may read it, anonymous ones may not.
  await t.s3.send(
    new PutObjectAclCommand({
      Bucket: "media",
      Key: "song.mp3",
      GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"',
    }),
  );
  const objectAcl = await t.s3.send(new GetObjectAclCommand({ Bucket: "media", Key: "song.mp3" }));
  assertEquals(grants(objectAcl.Grants), [
    "Group:http://acs.amazonaws.com/groups/global/AuthenticatedUsers:READ",
  ]);
  await t.nobody.send(new HeadObjectCommand({ Bucket: "media", Key: "song.mp3" }));
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 403);
  // Canned ACLs on CreateBucket, CopyObject and multipart uploads.
  await t.s3.send(new CreateBucketCommand({ Bucket: "pub", ACL: "public-read-write" }));
  const pubAcl = await t.s3.send(new GetBucketAclCommand({ Bucket: "pub" }));
  assertEquals(grants(pubAcl.Grants), [
    "CanonicalUser:owner:FULL_CONTROL",
    "Group:http://acs.amazonaws.com/groups/global/AllUsers:READ",
    "Group:http://acs.amazonaws.com/groups/global/AllUsers:WRITE",
  ]);
  assertEquals(
    (await curl(`${t.url}/pub/drop`, ["-X", "PUT", "--data-binary", "anon"])).status,
    200,
  );
  await t.s3.send(
    new CopyObjectCommand({
      Bucket: "media",
      Key: "copy",
      CopySource: "media/song.mp3",
      ACL: "public-read",
    }),
  );
  assertEquals(await curl(`${t.url}/media/copy`), { status: 200, body: "la la" });
  const mpu = await t.s3.send(
    new CreateMultipartUploadCommand({ Bucket: "media", Key: "big", ACL: "public-read" }),
  );
  const part = await t.s3.send(
    new UploadPartCommand({
      Bucket: "media",
      Key: "big",
      UploadId: mpu.UploadId,
      PartNumber: 1,
      Body: "part",
    }),
  );
  await t.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: "media",
      Key: "big",
      UploadId: mpu.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    }),
  );
  assertEquals(await curl(`${t.url}/media/big`), { status: 200, body: "part" });
  // Bad ACLs.
  await assertS3Error(
    () =>
      t.s3.send(
        new PutBucketAclCommand({
          Bucket: "media",
          AccessControlPolicy: {
            Owner: { ID: ownerId },
            Grants: [{
              Grantee: { Type: "CanonicalUser", ID: ownerId },
              Permission: "ALL" as never,
            }],
          },
        }),
      ),
    "MalformedACLError",
    400,
  );
  const setObjectAcl = (acl: Record<string, string>) =>
    t.s3.send(new PutObjectAclCommand({ Bucket: "media", Key: "song.mp3", ...acl }));
  await assertS3Error(
    () => setObjectAcl({ GrantRead: 'emailAddress="x@example.com"' }),
    "UnresolvableGrantByEmailAddress",
    400,
  );
  await assertS3Error(
    () => setObjectAcl({ ACL: "public-read", GrantRead: `id="${ownerId}"` }),
    "InvalidRequest",
    400,
  );
});

accessTest("ownership controls and the public access block are stored and honoured", async (t) => {
  await assertS3Error(
    () => t.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "media" })),
    "OwnershipControlsNotFoundError",
    404,
  );
  await t.s3.send(
    new PutBucketOwnershipControlsCommand({
      Bucket: "media",
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
    }),
  );
  const got = await t.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "media" }));
  assertEquals(got.OwnershipControls?.Rules?.[0].ObjectOwnership, "BucketOwnerEnforced");
  await assertS3Error(
    () =>
      t.s3.send(new PutObjectCommand({ Bucket: "media", Key: "p", Body: "x", ACL: "public-read" })),
    "AccessControlListNotSupported",
    400,
  );
  await assertS3Error(
    () => t.s3.send(new PutBucketAclCommand({ Bucket: "media", ACL: "public-read" })),
    "AccessControlListNotSupported",
    400,
  );
  await t.s3.send(
    new PutObjectCommand({
      Bucket: "media",
      Key: "p",
      Body: "x",
      ACL: "bucket-owner-full-control",
    }),
  );
  await t.s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: "media" }));
  await assertS3Error(
    () => t.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "media" })),
    "OwnershipControlsNotFoundError",
    404,
  );

  await assertS3Error(
    () => t.s3.send(new GetPublicAccessBlockCommand({ Bucket: "media" })),
    "NoSuchPublicAccessBlockConfiguration",
    404,
  );
  const block = (config: Record<string, boolean>) =>
    t.s3.send(
      new PutPublicAccessBlockCommand({ Bucket: "media", PublicAccessBlockConfiguration: config }),
    );
  await t.s3.send(
    new PutObjectCommand({ Bucket: "media", Key: "public", Body: "pub", ACL: "public-read" }),
  );
  await block({ IgnorePublicAcls: true });
  const pab = await t.s3.send(new GetPublicAccessBlockCommand({ Bucket: "media" }));
  assertEquals(pab.PublicAccessBlockConfiguration, {
    BlockPublicAcls: false,
    IgnorePublicAcls: true,
    BlockPublicPolicy: false,
    RestrictPublicBuckets: false,
  });
  assertEquals((await curl(`${t.url}/media/public`)).status, 403);
  await block({ BlockPublicAcls: true, BlockPublicPolicy: true });
  assertEquals((await curl(`${t.url}/media/public`)).status, 200);
  await assertS3Error(
    () =>
      t.s3.send(
        new PutObjectCommand({ Bucket: "media", Key: "p2", Body: "x", ACL: "public-read" }),
      ),
    "AccessDenied",
    403,
  );
  const publicPolicy = [{
    Effect: "Allow",
    Principal: "*",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::media/*",
  }];
  await assertS3Error(() => putPolicy(t.s3, "media", publicPolicy), "AccessDenied", 403);
  await block({ RestrictPublicBuckets: true });
  await putPolicy(t.s3, "media", publicPolicy);
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 403);
  await t.nobody.send(new GetObjectCommand({ Bucket: "media", Key: "song.mp3" })); // within the account
  await t.s3.send(new DeletePublicAccessBlockCommand({ Bucket: "media" }));
  assertEquals((await curl(`${t.url}/media/song.mp3`)).status, 200);
});

accessTest(
  "the users file is read again when it changes; a bad one keeps the last good users",
  async (t) => {
    const late: TestUser = {
      accessKey: "late-key",
      secretKey: "late-secret",
      name: "late",
      policy: allow(["s3:ListAllMyBuckets"], ["arn:aws:s3:::*"]),
    };
    const lateClient = clientAs(t.url, late);
    try {
      await assertS3Error(
        () => lateClient.send(new ListBucketsCommand({})),
        "InvalidAccessKeyId",
        403,
      );
      await writeUsersFile([READER, late], t.usersFile);
      await waitFor(() =>
        lateClient.send(new ListBucketsCommand({})).then(() => true, () => false)
      );
      const all = await lateClient.send(new ListBucketsCommand({}));
      assertEquals(all.Buckets?.map((b) => b.Name), ["appdata", "media"]);
      // APP is gone from the file: its key no longer signs anything.
      await assertS3Error(() => t.app.send(new ListBucketsCommand({})), "InvalidAccessKeyId", 403);
      await Deno.writeTextFile(t.usersFile, '{"users": [{"accessKey": "broken"');
      await new Promise((r) => setTimeout(r, 2500));
      await lateClient.send(new ListBucketsCommand({}));
    } finally {
      lateClient.destroy();
    }
  },
);

/** Waits up to 10 s for `check` to hold (the users file is polled every second). */
const waitFor = (check: () => Promise<boolean>) =>
  eventually(check, "the condition to hold", { every: 100 });

Deno.test({
  name: "the README's users file works as the README says",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("## Users and access"));
  const json = /```json\n([\s\S]*?)```/.exec(section)![1];
  const dir = await Deno.makeTempDir({ prefix: "geckos3-users-" });
  await Deno.writeTextFile(`${dir}/users.json`, json);
  const t = await startTestServer({ auth: true, credentialsFile: `${dir}/users.json` });
  const app = clientAs(t.url, { accessKey: "mastodon-app", secretKey: "a-long-random-secret" });
  const reader = clientAs(t.url, { accessKey: "backup-reader", secretKey: "another-secret" });
  try {
    for (const b of ["mastodon", "assets"]) await t.s3.send(new CreateBucketCommand({ Bucket: b }));
    await app.send(new PutObjectCommand({ Bucket: "mastodon", Key: "a.png", Body: "png" }));
    await assertS3Error(
      () => app.send(new PutObjectCommand({ Bucket: "assets", Key: "x", Body: "x" })),
      "AccessDenied",
      403,
    );
    assertEquals((await app.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), [
      "mastodon",
    ]);
    const got = await reader.send(new GetObjectCommand({ Bucket: "mastodon", Key: "a.png" }));
    assertEquals(await text(got.Body), "png");
    assertEquals((await reader.send(new ListBucketsCommand({}))).Buckets?.length, 2);
    await assertS3Error(
      () => reader.send(new DeleteObjectCommand({ Bucket: "mastodon", Key: "a.png" })),
      "AccessDenied",
      403,
    );
  } finally {
    app.destroy();
    reader.destroy();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

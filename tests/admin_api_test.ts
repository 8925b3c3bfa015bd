/**
 * The console's admin API on a real server with auth on: the dashboard's
 * figures match ListObjects and the files on disk, the activity ring shows
 * requests without secrets, and users made, rotated, disabled, changed and
 * deleted through it sign (or stop signing) real SDK requests, with the
 * users file rewritten whole each time.
 */
import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import { errorCode, startTestServer, type TestServer } from "./support/server.ts";
import { sign } from "./support/sign.ts";
import { freePort, spawnOn, spawnServer } from "./support/process.ts";
import { clientAs, READER, type TestUser, writeUsersFile } from "./support/users.ts";

/** The JSON of an answer, read field by field by the assertions. */
// deno-lint-ignore no-explicit-any
type Json = any;

/** A signed admin call; `as` signs as another user. */
async function admin(
  t: { url: string },
  method: string,
  path: string,
  opts: { body?: unknown; as?: TestUser; unsignedPayload?: boolean } = {},
): Promise<{ status: number; json: Json; text: string }> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const payload = opts.unsignedPayload
    ? "UNSIGNED-PAYLOAD"
    : createHash("sha256").update(body ?? "").digest("hex");
  const signed = sign(method, `${t.url}${path}`, {
    payload,
    ...(opts.as ? { accessKey: opts.as.accessKey, secret: opts.as.secretKey } : {}),
  });
  const res = await fetch(signed.url, { method, headers: signed.headers, body });
  const text = await res.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch { /* an XML error */ }
  return { status: res.status, json, text };
}

async function withServer(fn: (t: TestServer, usersFile: string) => Promise<void>) {
  const usersFile = await writeUsersFile([READER]);
  const t = await startTestServer({ auth: true, credentialsFile: usersFile });
  try {
    await fn(t, usersFile);
  } finally {
    await t.close();
    await Deno.remove(usersFile.replace(/\/[^/]+$/, ""), { recursive: true });
  }
}

const testOpts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "the dashboard's figures equal ListObjects and the files on disk",
  testOpts,
  () =>
    withServer(async (t) => {
      const sizes: Record<string, number[]> = { photos: [10, 2000, 0], logs: [123_456] };
      for (const [Bucket, list] of Object.entries(sizes)) {
        await t.s3.send(new CreateBucketCommand({ Bucket }));
        for (const [i, n] of list.entries()) {
          await t.s3.send(
            new PutObjectCommand({ Bucket, Key: `d/k${i}`, Body: new Uint8Array(n) }),
          );
        }
      }
      await t.s3.send(new CreateBucketCommand({ Bucket: "empty" }));
      const { status, json } = await admin(t, "GET", "/_admin/stats?fresh=1");
      assertEquals(status, 200);
      for (const Bucket of ["photos", "logs", "empty"]) {
        const listed = await t.s3.send(new ListObjectsV2Command({ Bucket }));
        const onDisk: number[] = [];
        const dir = `${t.dataDir}/${Bucket}/d`;
        const exists = await Deno.stat(dir).then(() => true, () => false);
        for await (const e of exists ? Deno.readDir(dir) : []) {
          onDisk.push((await Deno.stat(`${dir}/${e.name}`)).size);
        }
        const b = json.buckets.find((x: { bucket: string }) => x.bucket === Bucket);
        assertEquals(b.objects, listed.KeyCount, Bucket);
        assertEquals(b.objects, onDisk.length, Bucket);
        assertEquals(b.bytes, onDisk.reduce((a, n) => a + n, 0), Bucket);
        assertEquals(b.bytes, (listed.Contents ?? []).reduce((a, c) => a + (c.Size ?? 0), 0));
      }
      assertEquals(json.totals.objects, 4);
      assertEquals(json.totals.bytes, 10 + 2000 + 123_456);
      // The last hour, in 10 s steps; the puts above are in it.
      assertEquals(json.history.length, 360);
      const counted = json.history.reduce(
        (a: number, p: { requests: number }) => a + p.requests,
        0,
      );
      assert(counted >= 7, `history counts ${counted} requests`);
      const busy = json.history.filter((p: { requests: number }) => p.requests > 0);
      assert(busy.every((p: { p50: number; p99: number }) => p.p50 > 0 && p.p99 >= p.p50));
      assert(busy.some((p: { bytesIn: number }) => p.bytesIn >= 123_456));
      // Only the administrator sees them.
      const denied = await admin(t, "GET", "/_admin/stats", { as: READER });
      assertEquals([denied.status, errorCode(denied.text)], [403, "AccessDenied"]);
      const anonymous = await fetch(`${t.url}/_admin/stats`);
      assertEquals([anonymous.status, errorCode(await anonymous.text())], [403, "AccessDenied"]);
    }),
);

Deno.test(
  "the activity ring lists recent requests, errors included, without secrets",
  testOpts,
  () =>
    withServer(async (t) => {
      await t.s3.send(new CreateBucketCommand({ Bucket: "act" }));
      await assertS3Error(
        () => t.s3.send(new GetObjectCommand({ Bucket: "act", Key: "missing-key" })),
        "NoSuchKey",
        404,
      );
      const presigned = sign("GET", `${t.url}/act/missing-key?X-Amz-Signature=abc&x=1`);
      await (await fetch(presigned.url)).body?.cancel();
      const all = (await admin(t, "GET", "/_admin/activity")).json.entries;
      assert(all.length >= 3);
      assert(all[0].at >= all.at(-1).at, "newest first");
      const errors =
        (await admin(t, "GET", "/_admin/activity?errors=1&q=missing-key")).json.entries;
      assert(errors.length >= 1);
      assert(
        errors.every((e: { status: number; uri: string }) =>
          e.status >= 400 && e.uri.includes("missing-key")
        ),
      );
      const miss = errors.find((e: { errorCode?: string }) => e.errorCode === "NoSuchKey");
      assertEquals([miss.operation, miss.user, miss.method], ["GetObject", "root", "GET"]);
      for (const e of all) assert(!/Signature=abc|Credential=/.test(e.uri), e.uri);
      const denied = await admin(t, "GET", "/_admin/activity", { as: READER });
      assertEquals(denied.status, 403);
      // Bad input: a limit below one, an escape that does not decode.
      assertEquals((await admin(t, "GET", "/_admin/activity?limit=-100")).json.entries.length, 1);
      const garbled = await admin(t, "DELETE", "/_admin/users/%ZZ");
      assertEquals([garbled.status, errorCode(garbled.text)], [400, "InvalidURI"]);
    }),
);

Deno.test(
  "users made in the admin API sign requests until rotated, disabled or deleted",
  testOpts,
  () =>
    withServer(async (t, usersFile) => {
      const made = await admin(t, "POST", "/_admin/users", {
        body: {
          name: "ci-bot",
          policy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }],
          },
        },
      });
      assertEquals(made.status, 200, made.text);
      const bot: TestUser = { accessKey: made.json.accessKey, secretKey: made.json.secretKey };
      assertEquals(bot.secretKey.length, 40);
      const onDisk = JSON.parse(await Deno.readTextFile(usersFile));
      assert(onDisk.users.some((u: TestUser) => u.accessKey === bot.accessKey));
      await clientAs(t.url, bot).send(new ListBucketsCommand({}));
      // Listed without secrets; a user sees only itself.
      const listed = (await admin(t, "GET", "/_admin/users")).json.users;
      assertEquals(listed.map((u: { name: string }) => u.name).sort(), [
        "ci-bot",
        "reader",
        "root",
      ]);
      assert(!JSON.stringify(listed).includes(bot.secretKey));
      const self = (await admin(t, "GET", "/_admin/users", { as: READER })).json.users;
      assertEquals(self.map((u: { name: string }) => u.name), ["reader"]);
      const notAdmin = await admin(t, "POST", "/_admin/users", { as: READER, body: { name: "x" } });
      assertEquals(notAdmin.status, 403);
      // Rotated: the old key stops working, the new one works.
      const rotated = await admin(t, "POST", `/_admin/users/${bot.accessKey}/rotate`);
      assertEquals(rotated.json.name, "ci-bot");
      await assertS3Error(
        () => clientAs(t.url, bot).send(new ListBucketsCommand({})),
        "InvalidAccessKeyId",
        403,
      );
      const bot2: TestUser = {
        accessKey: rotated.json.accessKey,
        secretKey: rotated.json.secretKey,
      };
      await clientAs(t.url, bot2).send(new ListBucketsCommand({}));
      // Disabled, then enabled again.
      assertEquals(
        (await admin(t, "PUT", `/_admin/users/${bot2.accessKey}`, { body: { disabled: true } }))
          .status,
        204,
      );
      await assertS3Error(
        () => clientAs(t.url, bot2).send(new ListBucketsCommand({})),
        "InvalidAccessKeyId",
        403,
      );
      const disabled = (await admin(t, "GET", "/_admin/users")).json.users
        .find((u: { name: string }) => u.name === "ci-bot");
      assertEquals(disabled.disabled, true);
      await admin(t, "PUT", `/_admin/users/${bot2.accessKey}`, { body: { disabled: false } });
      await clientAs(t.url, bot2).send(new ListBucketsCommand({}));
      // A policy attached takes effect; a bad one is refused and changes nothing.
      await assertS3Error(
        () => clientAs(t.url, bot2).send(new CreateBucketCommand({ Bucket: "bot-bucket" })),
        "AccessDenied",
        403,
      );
      const before = await Deno.readTextFile(usersFile);
      const bad = await admin(t, "PUT", `/_admin/users/${bot2.accessKey}`, {
        body: { policy: { Statement: [{ Effect: "Maybe" }] } },
      });
      assertEquals([bad.status, errorCode(bad.text)], [400, "InvalidArgument"]);
      assertEquals(await Deno.readTextFile(usersFile), before);
      await admin(t, "PUT", `/_admin/users/${bot2.accessKey}`, {
        body: {
          policy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "s3:CreateBucket", Resource: "*" }],
          },
        },
      });
      await clientAs(t.url, bot2).send(new CreateBucketCommand({ Bucket: "bot-bucket" }));
      // Changes must sign their payload.
      const unsigned = await admin(t, "DELETE", `/_admin/users/${bot2.accessKey}`, {
        unsignedPayload: true,
      });
      assertEquals(unsigned.status, 204, "a delete has no payload to sign");
      await assertS3Error(
        () => clientAs(t.url, bot2).send(new ListBucketsCommand({})),
        "InvalidAccessKeyId",
        403,
      );
      const unsignedMake = await admin(t, "POST", "/_admin/users", {
        body: { name: "sneaky" },
        unsignedPayload: true,
      });
      assertEquals(unsignedMake.status, 403);
      const root = await admin(t, "DELETE", `/_admin/users/${t.config.accessKey}`);
      assertEquals([root.status, errorCode(root.text)], [400, "InvalidArgument"]);
      // What is left in the file: the reader, as the test wrote it.
      assertEquals(JSON.parse(await Deno.readTextFile(usersFile)).users, [READER]);
    }),
);

Deno.test(
  "with two server threads the history and activity are the whole process's",
  testOpts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "geckos3-test-" });
    const server = await spawnOn(dataDir, ["-workers=2"]);
    try {
      // New connections each: the kernel spreads them over both threads' sockets.
      for (let i = 0; i < 40; i++) {
        const r = await fetch(`${server.url}/nope-${i}`, { headers: { connection: "close" } });
        await r.body?.cancel();
      }
      const get = async (path: string) => await (await fetch(`${server.url}${path}`)).json();
      const stats = await get("/_admin/stats");
      const seen = stats.history.reduce(
        (n: number, p: { clientErrors: number }) => n + p.clientErrors,
        0,
      );
      assertEquals(seen, 40);
      const { entries } = await get("/_admin/activity?q=nope-&limit=1000");
      assertEquals(entries.length, 40);
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

Deno.test(
  "with two server threads a key made or rotated in the API works, or stops, on both at once",
  testOpts,
  async () => {
    const usersFile = await writeUsersFile([READER]);
    const dataDir = await Deno.makeTempDir({ prefix: "geckos3-test-" });
    const port = await freePort();
    const server = await spawnServer([
      `-data-dir=${dataDir}`,
      `-listen=127.0.0.1:${port}`,
      `-credentials-file=${usersFile}`,
      "-workers=2",
    ]);
    // Each on a new connection: the kernel spreads them over both threads' sockets.
    const listsWith = async (user: TestUser) => {
      let ok = 0;
      for (let i = 0; i < 16; i++) {
        const signed = sign("GET", `${server.url}/`, {
          accessKey: user.accessKey,
          secret: user.secretKey,
          headers: { connection: "close" },
        });
        const r = await fetch(signed.url, { headers: signed.headers });
        await r.body?.cancel();
        if (r.status === 200) ok++;
      }
      return ok;
    };
    try {
      const made = await admin(server, "POST", "/_admin/users", { body: { name: "fresh" } });
      const fresh: TestUser = { accessKey: made.json.accessKey, secretKey: made.json.secretKey };
      // Without waiting: every thread knows the new key (a poll of the file takes up to a second).
      assertEquals(await listsWith(fresh), 16);
      const rotated = await admin(server, "POST", `/_admin/users/${fresh.accessKey}/rotate`);
      assertEquals(await listsWith(fresh), 0, "the old key, on either thread");
      assertEquals(
        await listsWith({ accessKey: rotated.json.accessKey, secretKey: rotated.json.secretKey }),
        16,
      );
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
      await Deno.remove(usersFile.replace(/\/[^/]+$/, ""), { recursive: true });
    }
  },
);

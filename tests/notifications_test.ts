/**
 * Event notifications end to end: a real HTTP receiver and a JSON-lines
 * file as targets; the configuration as S3 checks it; every event type with
 * its record's fields; filters; a key's events in order; delivery after the
 * receiver was down; the queue's bound.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetBucketNotificationConfigurationCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from "./deps/aws_sdk.ts";
import { errorCode, raw, startTestServer, type TestServer } from "./support/server.ts";
import { type Receiver, startReceiver } from "./support/receiver.ts";
import { freePort, spawnServer } from "./support/process.ts";
import { onePartUpload } from "./support/uploads.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import type { Config } from "../src/config/mod.ts";
import { eventually } from "./support/wait.ts";

const B = "events";
const text = (s: string) => new TextEncoder().encode(s);
const HOOK = "arn:geckos3:sqs:::hook";

type Rec = Record<string, unknown> & {
  eventName: string;
  s3: {
    configurationId: string;
    bucket: { name: string; arn: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer: string };
  };
};

/** A server whose targets are a receiver ("hook", with an Authorization header) and more. */
async function withNotifications(
  fn: (t: TestServer, receiver: Receiver) => Promise<void>,
  opts: { targets?: unknown[]; overrides?: Partial<Config> } = {},
): Promise<void> {
  const receiver = await startReceiver();
  const targets = [
    {
      id: "hook",
      type: "webhook",
      url: receiver.url,
      authorization: "Bearer s3cret",
      timeout: "2s",
    },
    ...(opts.targets ?? []),
  ];
  const t = await startTestServer({
    auth: false,
    notifyTargets: JSON.stringify({ targets }),
    ...opts.overrides,
  });
  try {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await fn(t, receiver);
  } finally {
    await t.close();
    await receiver.close();
  }
}

function notificationTest(
  name: string,
  fn: (t: TestServer, receiver: Receiver) => Promise<void>,
  opts: { targets?: unknown[]; overrides?: Partial<Config> } = {},
): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => withNotifications(fn, opts),
  });
}

/** Sends every event of the bucket to the receiver (or the given configurations). */
function subscribe(s3: S3Client, queues?: unknown[]) {
  return s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: B,
      NotificationConfiguration: {
        QueueConfigurations: (queues ?? [{
          Id: "all",
          QueueArn: HOOK,
          Events: [
            "s3:ObjectCreated:*",
            "s3:ObjectRemoved:*",
            "s3:ObjectTagging:*",
            "s3:ObjectAcl:Put",
          ],
        }]) as never,
      },
    }),
  );
}

const records = (r: Receiver) => r.records() as Rec[];

notificationTest(
  "the configuration: checked as S3, read back with ids, a test event",
  async (t, r) => {
    const put = (body: string) => raw(`${t.url}/${B}?notification`, { method: "PUT", body });
    const queue = (inner: string) =>
      `<NotificationConfiguration>${inner}</NotificationConfiguration>`;
    const conf = (arn: string, events: string[], filter = "") =>
      `<QueueConfiguration><Queue>${arn}</Queue>${
        events.map((e) => `<Event>${e}</Event>`).join("")
      }${filter}</QueueConfiguration>`;
    const prefix = (p: string) =>
      `<Filter><S3Key><FilterRule><Name>prefix</Name><Value>${p}</Value></FilterRule></S3Key></Filter>`;
    // A destination no target of the server has: refused, naming it.
    let res = await put(
      queue(conf("arn:aws:sqs:us-east-1:000000000000:nobody", ["s3:ObjectCreated:*"])),
    );
    assertEquals([res.status, errorCode(res.text)], [400, "InvalidArgument"]);
    assert(
      res.text.includes("Unable to validate the following destination configurations"),
      res.text,
    );
    assert(res.text.includes("<ArgumentName1>arn:aws:sqs:us-east-1:000000000000:nobody"), res.text);
    res = await put(queue(conf(HOOK, ["s3:ObjectCreated:Nope"])));
    assertEquals([res.status, errorCode(res.text)], [400, "InvalidArgument"]);
    res = await put(
      queue(
        conf(HOOK, ["s3:ObjectCreated:*"], prefix("a/")) +
          conf(HOOK, ["s3:ObjectCreated:Put"], prefix("a/b/")),
      ),
    );
    assertEquals([res.status, errorCode(res.text)], [400, "InvalidArgument"]);
    assert(res.text.includes("Configurations overlap"), res.text);
    res = await put(
      queue(
        conf(HOOK, ["s3:ObjectCreated:*"]).replace(
          "</QueueConfiguration>",
          "<Filter><S3Key><FilterRule><Name>middle</Name><Value>x</Value></FilterRule></S3Key></Filter></QueueConfiguration>",
        ),
      ),
    );
    assertEquals([res.status, errorCode(res.text)], [400, "InvalidArgument"]);
    res = await put(queue("<QueueConfiguration><Queue>" + HOOK + "</Queue></QueueConfiguration>"));
    assertEquals([res.status, errorCode(res.text)], [400, "MalformedXML"]);
    // Disjoint prefixes share event types; the ARN may be AWS-shaped: its last part names a target.
    await subscribe(t.s3, [
      {
        QueueArn: "arn:aws:sqs:us-east-1:000000000000:hook",
        Events: ["s3:ObjectCreated:*"],
        Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "a/" }] } },
      },
      {
        Id: "bees",
        QueueArn: HOOK,
        Events: ["s3:ObjectCreated:*"],
        Filter: {
          Key: {
            FilterRules: [{ Name: "prefix", Value: "b/" }, { Name: "suffix", Value: ".png" }],
          },
        },
      },
    ]);
    const got = await t.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: B }));
    assertEquals(got.QueueConfigurations?.length, 2);
    assert(got.QueueConfigurations?.[0].Id, "an id is made for a configuration without one");
    assertEquals(got.QueueConfigurations?.[1].Id, "bees");
    assertEquals(got.QueueConfigurations?.[1].Filter?.Key?.FilterRules, [
      { Name: "prefix", Value: "b/" },
      { Name: "suffix", Value: ".png" },
    ]);
    // S3's test event reaches the destination, with the Authorization header configured.
    await eventually(() => r.messages.some((m) => m.Event === "s3:TestEvent"), "a test event", {
      ms: 5000,
      every: 25,
    });
    const test = r.messages.find((m) => m.Event === "s3:TestEvent")!;
    assertEquals([test.Service, test.Bucket], ["Amazon S3", B]);
    assertEquals(r.authorizations[0], "Bearer s3cret");
    // Filters: only b/*.png and a/* are sent.
    for (const key of ["a/1.txt", "b/2.png", "b/3.txt", "c/4.png"]) {
      await t.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: text(key) }));
    }
    await r.waitFor((rs) => rs.length >= 2);
    await new Promise((ok) => setTimeout(ok, 300));
    assertEquals(records(r).map((x) => x.s3.object.key).sort(), ["a%2F1.txt", "b%2F2.png"]);
    // An empty configuration removes it.
    await t.s3.send(
      new PutBucketNotificationConfigurationCommand({ Bucket: B, NotificationConfiguration: {} }),
    );
    const empty = await t.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: B }));
    assertEquals(empty.QueueConfigurations, undefined);
  },
);

notificationTest("every event type, with the fields of S3's records", async (t, r) => {
  await subscribe(t.s3);
  const key = "photos/día 1+(x).jpg";
  const put = await t.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: text("12345") }));
  const form = new FormData();
  form.append("key", "posted.txt");
  form.append("file", new Blob([text("posted")]), "posted.txt");
  assertEquals((await fetch(`${t.url}/${B}`, { method: "POST", body: form })).status, 204);
  await t.s3.send(
    new CopyObjectCommand({ Bucket: B, Key: "copy.jpg", CopySource: `${B}/posted.txt` }),
  );
  await onePartUpload(t.s3, { Bucket: B, Key: "big" }, text("abc"));
  await t.s3.send(
    new PutObjectTaggingCommand({
      Bucket: B,
      Key: "big",
      Tagging: { TagSet: [{ Key: "k", Value: "v" }] },
    }),
  );
  await t.s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: "big" }));
  await t.s3.send(new PutObjectAclCommand({ Bucket: B, Key: "big", ACL: "public-read" }));
  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "big" }));
  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "never-was" }));
  await t.s3.send(
    new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: "copy.jpg" }] } }),
  );
  const names = [
    "ObjectCreated:Put",
    "ObjectCreated:Post",
    "ObjectCreated:Copy",
    "ObjectCreated:CompleteMultipartUpload",
    "ObjectTagging:Put",
    "ObjectTagging:Delete",
    "ObjectAcl:Put",
    "ObjectRemoved:Delete",
    "ObjectRemoved:Delete",
  ];
  await r.waitFor((rs) => rs.length >= names.length);
  await new Promise((ok) => setTimeout(ok, 300)); // nothing more comes (the key that never was)
  const got = records(r);
  assertEquals(got.map((x) => x.eventName), names);
  const first = got[0];
  assertEquals(first.eventVersion, "2.1");
  assertEquals(first.eventSource, "aws:s3");
  assertEquals(first.awsRegion, "us-east-1");
  assert(Math.abs(Date.parse(first.eventTime as string) - Date.now()) < 60_000);
  assertEquals((first.requestParameters as Record<string, string>).sourceIPAddress, "127.0.0.1");
  assert((first.userIdentity as Record<string, string>).principalId);
  assert((first.responseElements as Record<string, string>)["x-amz-request-id"]);
  assertEquals(first.s3.configurationId, "all");
  assertEquals(first.s3.bucket.name, B);
  assertEquals(first.s3.bucket.arn, `arn:aws:s3:::${B}`);
  // The key URL-encoded as S3 encodes it: a space as +, the + itself and ( ) escaped.
  assertEquals(first.s3.object.key, "photos%2Fd%C3%ADa+1%2B%28x%29.jpg");
  assertEquals(first.s3.object.size, 5);
  assertEquals(first.s3.object.eTag, put.ETag!.replaceAll('"', ""));
  assert(/^[0-9a-f]{16}$/.test(first.s3.object.sequencer), first.s3.object.sequencer);
  assertEquals(got[1].s3.object.key, "posted.txt");
  assertEquals(got[3].s3.object.eTag?.endsWith("-1"), true);
  const removed = got[7].s3.object;
  assertEquals([removed.key, removed.size, removed.eTag], ["big", undefined, undefined]);
  // Sequencers grow with every event of the queue.
  const seqs = got.map((x) => x.s3.object.sequencer);
  assertEquals([...seqs].sort(), seqs);
});

notificationTest("versioned deletes, and lifecycle expirations", async (t, r) => {
  await t.s3.send(
    new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }),
  );
  await subscribe(t.s3, [{
    QueueArn: HOOK,
    Events: ["s3:ObjectRemoved:*", "s3:LifecycleExpiration:*"],
  }]);
  const v1 = (await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: text("1") })))
    .VersionId!;
  const marker = await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
  await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: v1 }));
  await r.waitFor((rs) => rs.length >= 2);
  const [made, removed] = records(r);
  assertEquals(
    [made.eventName, made.s3.object.versionId],
    ["ObjectRemoved:DeleteMarkerCreated", marker.VersionId],
  );
  assertEquals([removed.eventName, removed.s3.object.versionId], ["ObjectRemoved:Delete", v1]);
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "old", Body: text("x") }));
  await t.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: B,
      LifecycleConfiguration: {
        Rules: [{ ID: "x", Status: "Enabled", Filter: { Prefix: "old" }, Expiration: { Days: 1 } }],
      },
    }),
  );
  await r.waitFor((rs) => rs.some((x) => (x as Rec).eventName.startsWith("LifecycleExpiration")));
  const expired = records(r).find((x) => x.eventName.startsWith("LifecycleExpiration"))!;
  assertEquals(expired.eventName, "LifecycleExpiration:DeleteMarkerCreated");
  assertEquals(expired.s3.object.key, "old");
  assertEquals((expired.userIdentity as Record<string, string>).principalId, "s3.amazonaws.com");
}, { overrides: { lifecycleDaySeconds: 1 } });

notificationTest("a key's events arrive in the order its changes were made", async (t, r) => {
  await subscribe(t.s3, [{ QueueArn: HOOK, Events: ["s3:ObjectCreated:Put"] }]);
  // Writers race on one key: whatever order the writes land in, the events follow it.
  const writes = Array.from(
    { length: 24 },
    (_, i) =>
      t.s3.send(new PutObjectCommand({ Bucket: B, Key: "hot", Body: text(`version ${i}`) })),
  );
  await Promise.all(writes);
  await r.waitFor((rs) => rs.length >= 24);
  const got = records(r);
  const seqs = got.map((x) => x.s3.object.sequencer);
  assertEquals([...seqs].sort(), seqs);
  assertEquals(new Set(seqs).size, 24);
  const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "hot" }));
  assertEquals(got.at(-1)!.s3.object.eTag, head.ETag!.replaceAll('"', ""));
});

notificationTest("a receiver that is down gets every event once it is back", async (t, r) => {
  await subscribe(t.s3, [{ QueueArn: HOOK, Events: ["s3:ObjectCreated:*"] }]);
  await r.waitFor(() => r.messages.length >= 1); // the test event
  r.setMode("down");
  for (let i = 0; i < 10; i++) {
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: `k${i}`, Body: text("x") }));
  }
  await eventually(() => r.refused >= 2, "the sender to try", { ms: 5000, every: 25 });
  r.setMode("ok");
  await r.waitFor((rs) => rs.length >= 10, 20_000);
  assertEquals(
    records(r).map((x) => x.s3.object.key),
    Array.from({ length: 10 }, (_, i) => `k${i}`),
  );
  const metrics = (await raw(`${t.url}/metrics`)).text;
  assert(
    /geckos3_notification_events_total\{target="hook",state="retried"\} [1-9]/.test(metrics),
    metrics,
  );
  assert(
    metrics.includes('geckos3_notification_events_total{target="hook",state="delivered"} 11'),
    metrics,
  );
  assert(
    metrics.includes('geckos3_notification_events_total{target="hook",state="queued"} 11'),
    metrics,
  );
});

notificationTest("requests go on while the receiver hangs; the queue is bounded", async (t, r) => {
  await subscribe(t.s3, [{ QueueArn: HOOK, Events: ["s3:ObjectCreated:*"] }]);
  await r.waitFor(() => r.messages.length >= 1);
  r.setMode("hang");
  // Far more events than the (tiny) queue holds: every write is still answered at once.
  for (let i = 0; i < 40; i++) {
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: `k${i}`, Body: text("x") }));
  }
  const metrics = (await raw(`${t.url}/metrics`)).text;
  const dropped = Number(/state="dropped"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  assert(dropped > 0 && dropped < 40, metrics);
  r.setMode("ok");
  await r.waitFor((rs) => rs.length >= 40 - dropped, 20_000);
  // The oldest events were kept; the newest, past the bound, were dropped.
  assertEquals(records(r)[0].s3.object.key, "k0");
}, { overrides: { notifyQueueMb: 8 / 1024 } });

notificationTest("a JSON-lines file target gets one record per line", async (t) => {
  const file = JSON.parse(t.config.notifyTargets).targets[1].path as string;
  await t.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: B,
      NotificationConfiguration: {
        TopicConfigurations: [{
          TopicArn: "arn:aws:sns:us-east-1:000000000000:audit",
          Events: ["s3:ObjectCreated:*"],
        }],
      },
    }),
  );
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "a", Body: text("1") }));
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "b", Body: text("22") }));
  let lines: string[] = [];
  await eventually(async () => {
    lines = (await Deno.readTextFile(file).catch(() => "")).split("\n").filter((l) => l !== "");
    return lines.length >= 3;
  }, () => `three lines in the file, not ${lines.length}`);
  const parsed = lines.map((l) => JSON.parse(l));
  assertEquals(parsed[0].Event, "s3:TestEvent");
  assertEquals(parsed.slice(1).map((m) => m.Records[0].s3.object.size), [1, 2]);
  await Deno.remove(file);
}, {
  targets: [{ id: "audit", type: "file", path: Deno.makeTempFileSync({ suffix: ".jsonl" }) }],
});

Deno.test("a server without targets refuses every destination, takes empty configurations", async () => {
  const t = await startTestServer({ auth: false });
  try {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await assertS3Error(() => subscribe(t.s3), "InvalidArgument", 400);
    await t.s3.send(
      new PutBucketNotificationConfigurationCommand({ Bucket: B, NotificationConfiguration: {} }),
    );
  } finally {
    await t.close();
  }
});

Deno.test({
  name: "events acknowledged before a SIGKILL are delivered after the restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const receiver = await startReceiver();
    const dataDir = await Deno.makeTempDir({ prefix: "geckos3-notify-" });
    const targets = JSON.stringify({
      targets: [{ id: "hook", type: "webhook", url: receiver.url }],
    });
    const args = async () => [
      `-data-dir=${dataDir}`,
      `-listen=127.0.0.1:${await freePort()}`,
      "-auth=false",
      `-notify-targets=${targets}`,
    ];
    let server = await spawnServer(await args());
    try {
      const put = (path: string, body: string) =>
        raw(`${server.url}/${B}${path}`, { method: "PUT", body });
      assertEquals((await put("", "")).status, 200);
      const config = "<NotificationConfiguration><QueueConfiguration><Queue>" + HOOK +
        "</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>";
      receiver.setMode("down");
      assertEquals((await put("?notification", config)).status, 200);
      const keys = Array.from({ length: 15 }, (_, i) => `k${String(i).padStart(2, "0")}`);
      for (const key of keys) assertEquals((await put(`/${key}`, key)).status, 200);
      // Killed after a delivery of them failed: every event is still only queued.
      const refused = receiver.refused;
      await eventually(() => receiver.refused > refused, "the sender to try the queued events", {
        every: 20,
      });
      await server.stop("SIGKILL");
      receiver.setMode("ok");
      server = await spawnServer(await args());
      await receiver.waitFor((rs) => new Set(rs.map((x) => (x as Rec).s3.object.key)).size >= 15);
      const delivered = new Set(records(receiver).map((x) => x.s3.object.key));
      assertEquals([...delivered].sort(), keys);
    } finally {
      await server.stop();
      await receiver.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the README's receiver prints the events of its worked example",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const section = readme.slice(readme.indexOf("## Event notifications\n"));
    const start = section.indexOf("```python\n") + "```python\n".length;
    const port = await freePort();
    const script = section.slice(start, section.indexOf("```", start)).replace(
      "8080",
      String(port),
    );
    const child = new Deno.Command("python3", {
      args: ["-c", script],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const out: string[] = [];
    const reading = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) out.push(chunk);
    })();
    const targets = {
      targets: [{ id: "thumbs", type: "webhook", url: `http://127.0.0.1:${port}/` }],
    };
    const t = await startTestServer({ auth: false, notifyTargets: JSON.stringify(targets) });
    try {
      await t.s3.send(new CreateBucketCommand({ Bucket: "photos" }));
      await t.s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: "photos",
          NotificationConfiguration: {
            QueueConfigurations: [{
              QueueArn: "arn:geckos3:sqs:::thumbs",
              Events: ["s3:ObjectCreated:*"],
              Filter: { Key: { FilterRules: [{ Name: "suffix", Value: ".jpg" }] } },
            }],
          },
        }),
      );
      await t.s3.send(
        new PutObjectCommand({ Bucket: "photos", Key: "cat 1.jpg", Body: text("x") }),
      );
      await eventually(
        () => out.join("").includes("ObjectCreated:Put photos cat 1.jpg\n"),
        () => `the event printed, not ${JSON.stringify(out.join(""))}`,
      );
    } finally {
      await t.close();
      child.kill();
      await child.status;
      await reading;
    }
  },
});

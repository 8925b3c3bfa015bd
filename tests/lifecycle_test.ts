/**
 * Lifecycle rules that run, with a day shortened to one second
 * (-lifecycle-day 1s): expiration by prefix, tag and size, x-amz-expiration,
 * versioned buckets (delete markers, noncurrent versions, lone markers),
 * stale multipart uploads, a restart in between, and the metrics.
 */
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "./deps/aws_sdk.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { raw, serverTest, startTestServer } from "./support/server.ts";
import { applyLifecycle } from "../src/s3/lifecycle_scan.ts";
import { eventually } from "./support/wait.ts";

const B = "expiring";

/** Waits up to 15 s for `check` to hold. */
const waitFor = (check: () => Promise<boolean>, what: string) =>
  eventually(check, what, { ms: 15_000, every: 100 });

const keysOf = async (s3: S3Client, Bucket = B) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket }))).Contents ?? []).map((o) => o.Key!);

serverTest(
  "expiration deletes exactly the objects its filter names, once their days pass",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: {
          Rules: [
            { ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 2 } },
            {
              ID: "tagged-big",
              Status: "Enabled",
              Filter: {
                And: {
                  Prefix: "data/",
                  Tags: [{ Key: "tmp", Value: "yes" }],
                  ObjectSizeGreaterThan: 3,
                },
              },
              Expiration: { Days: 2 },
            },
            { ID: "off", Status: "Disabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } },
          ],
        },
      }),
    );
    const put = (Key: string, Body: string, Tagging?: string) =>
      t.s3.send(new PutObjectCommand({ Bucket: B, Key, Body, Tagging }));
    const written = await put("logs/a", "x");
    assert(written.Expiration?.includes('rule-id="logs"'), String(written.Expiration));
    await put("logs/b", "x");
    await put("data/big-tmp", "xxxxx", "tmp=yes");
    await put("data/small-tmp", "xx", "tmp=yes");
    await put("data/big-kept", "xxxxx");
    await put("keep/c", "x");
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "logs/a" }));
    assert(
      /^expiry-date="[^"]+ GMT", rule-id="logs"$/.test(head.Expiration ?? ""),
      head.Expiration,
    );
    assertEquals(
      (await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "keep/c" }))).Expiration,
      undefined,
    );
    // Not before the days have passed.
    await new Promise((r) => setTimeout(r, 700));
    assertEquals((await keysOf(t.s3)).length, 6);
    await waitFor(async () => (await keysOf(t.s3)).length === 3, "the expiring objects to go");
    assertEquals(await keysOf(t.s3), ["data/big-kept", "data/small-tmp", "keep/c"]);
    const metrics = await raw(`${t.url}/metrics`);
    assert(
      metrics.text.includes('geckos3_lifecycle_actions_total{action="expired"} 3'),
      metrics.text,
    );
  },
  { lifecycleDaySeconds: 1 },
);

serverTest(
  "in a versioned bucket: delete markers, noncurrent versions, lone markers",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(
      new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }),
    );
    const ids: string[] = [];
    for (const body of ["v1", "v2", "v3"]) {
      ids.push(
        (await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "doc", Body: body }))).VersionId!,
      );
    }
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "solo", Body: "only" }));
    await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "solo" }));
    await t.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: "current",
              Status: "Enabled",
              Filter: { Prefix: "doc" },
              Expiration: { Days: 2 },
            },
            {
              ID: "old",
              Status: "Enabled",
              Filter: { Prefix: "doc" },
              NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 1 },
            },
            {
              ID: "solo-old",
              Status: "Enabled",
              Filter: { Prefix: "solo" },
              NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            },
            {
              ID: "markers",
              Status: "Enabled",
              Filter: { Prefix: "solo" },
              Expiration: { ExpiredObjectDeleteMarker: true },
            },
          ],
        },
      }),
    );
    const versions = async (Prefix: string) => {
      const r = await t.s3.send(new ListObjectVersionsCommand({ Bucket: B, Prefix }));
      return {
        versions: (r.Versions ?? []).map((v) => v.VersionId!),
        markers: (r.DeleteMarkers ?? []).map((m) => [m.VersionId, m.IsLatest]),
      };
    };
    // doc: the current version expires (a delete marker on top); of the noncurrent versions the
    // newest is kept, the others go once a day has passed since they stopped being current.
    await waitFor(async () => {
      const v = await versions("doc");
      return v.markers.length === 1 && v.versions.length === 1;
    }, "doc's marker, and one noncurrent version kept");
    // And it stays so: NewerNoncurrentVersions keeps the newest noncurrent version however old.
    await new Promise((r) => setTimeout(r, 2000));
    const doc = await versions("doc");
    assertEquals(doc.versions, [ids[2]]);
    assertEquals(doc.markers[0][1], true);
    // solo: its one version goes after a day, then the marker alone is removed too.
    await waitFor(async () => {
      const v = await versions("solo");
      return v.versions.length === 0 && v.markers.length === 0;
    }, "solo's version and then its lone marker");
  },
  { lifecycleDaySeconds: 1 },
);

serverTest("stale multipart uploads are aborted", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "tmp/upload" }));
  await t.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "keep/upload" }));
  await t.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: B,
      LifecycleConfiguration: {
        Rules: [{
          ID: "abort",
          Status: "Enabled",
          Filter: { Prefix: "tmp/" },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }],
      },
    }),
  );
  const uploads = async () =>
    ((await t.s3.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads ?? []).map((u) =>
      u.Key
    );
  await waitFor(async () => (await uploads()).length === 1, "the tmp/ upload aborted");
  assertEquals(await uploads(), ["keep/upload"]);
}, { lifecycleDaySeconds: 1 });

Deno.test({
  name: "rules put before a restart apply after it",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-lifecycle-" });
  try {
    const first = await startTestServer({ auth: false, dataDir, lifecycleDaySeconds: 3600 });
    await first.s3.send(new CreateBucketCommand({ Bucket: B }));
    await first.s3.send(new PutObjectCommand({ Bucket: B, Key: "old", Body: "x" }));
    await first.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: {
          Rules: [{
            ID: "all",
            Status: "Enabled",
            Filter: { Prefix: "" },
            Expiration: { Days: 1 },
          }],
        },
      }),
    );
    await new Promise((r) => setTimeout(r, 1200));
    assertEquals(await keysOf(first.s3), ["old"]); // an hour-long day has not passed
    await first.close();
    const second = await startTestServer({ auth: false, dataDir, lifecycleDaySeconds: 1 });
    try {
      await waitFor(async () => (await keysOf(second.s3)).length === 0, "old to expire");
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name: "a pass cut short resumes where it stopped, in plain and versioned buckets",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // The server's own scanner does not run here (a 24 h day): passes are driven directly.
    const t = await startTestServer({ auth: false });
    const storage = t.server.storage;
    try {
      const rules = {
        Rules: [{
          ID: "odd",
          Status: "Enabled" as const,
          Filter: { Prefix: "odd-" },
          Expiration: { Days: 1 },
        }],
      };
      const keys: string[] = [];
      for (const bucket of ["plain", "versioned"]) {
        await t.s3.send(new CreateBucketCommand({ Bucket: bucket }));
        if (bucket === "versioned") {
          await t.s3.send(
            new PutBucketVersioningCommand({
              Bucket: bucket,
              VersioningConfiguration: { Status: "Enabled" },
            }),
          );
        }
        await t.s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: bucket,
            LifecycleConfiguration: rules,
          }),
        );
        for (let i = 0; i < 1500; i++) {
          const key = `${i % 2 ? "odd" : "even"}-${String(i).padStart(5, "0")}`;
          if (bucket === "plain") keys.push(key);
          // Two versions of some keys: a key is done only once all its versions are seen.
          for (let v = 0; v < (bucket === "versioned" && i % 3 === 0 ? 2 : 1); v++) {
            await storage.putObject(bucket, key, new Uint8Array([v]), {
              attributes: { contentType: "binary/octet-stream", headers: {}, userMeta: {} },
            });
          }
        }
      }
      const future = () => Date.now() + 10 * 86_400_000;
      let scanned = 0;
      let expired = 0;
      let passes = 0;
      // Passes stopped after a few pages each, as a restart would stop them, until one finishes.
      for (;;) {
        passes++;
        const stop = new AbortController();
        const timer = setTimeout(() => stop.abort(), 40);
        const counts = await applyLifecycle(storage, {
          dayMs: 1000,
          now: future,
          signal: stop.signal,
        });
        clearTimeout(timer);
        scanned += counts.scanned;
        expired += counts.expired;
        // A pass that finished removed its cursor; one that was stopped saved where it was.
        if (await storage.readState("lifecycle.json") === null) break;
        assert(stop.signal.aborted, "a pass that was not stopped left a cursor");
        assert(passes < 200, "the passes never finish");
      }
      assert(passes > 2, `passes ${passes}: each was to be cut short`);
      // Every key of both buckets was scanned exactly once over all the passes.
      assertEquals(scanned, 3000);
      assertEquals(expired, 1500);
      assertEquals(await storage.readState("lifecycle.json"), null);
      assertEquals(await keysOf(t.s3, "plain"), keys.filter((k) => k.startsWith("even-")));
      assertEquals(await keysOf(t.s3, "versioned"), keys.filter((k) => k.startsWith("even-")));
    } finally {
      await t.close();
    }
  },
});

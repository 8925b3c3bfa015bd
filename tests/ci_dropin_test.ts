/**
 * geckos3 as the S3 of CI pipelines: the compose recipe of docs/ci.md run in
 * the test suite's terms (its environment, seed and health check driven
 * directly: no Docker engine here), the seed's settings and idempotence,
 * -ephemeral after SIGTERM and SIGINT, MinIO's variable names, and the
 * requests the MinIO client (`mc alias set`, `mb`, `cp`, `ls`, `anonymous
 * set download`) makes.
 */
import * as Minio from "./deps/minio.ts";
import {
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import { freePort, spawnServer, START_FLAGS } from "./support/process.ts";
import { raw, sdkClient } from "./support/server.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const ciDoc = Deno.readTextFileSync(`${ROOT}docs/ci.md`);

/** The first fenced block of `lang` after `heading` in docs/ci.md. */
function block(heading: string, lang: string): string {
  const at = ciDoc.indexOf(`${heading}\n`);
  assert(at >= 0, `docs/ci.md has no "${heading}"`);
  const start = ciDoc.indexOf("```" + lang + "\n", at) + lang.length + 4;
  return ciDoc.slice(start, ciDoc.indexOf("```", start));
}

/** The `name: value` lines of one mapping of the compose service `s3` (environment, ...). */
function composeMapping(yaml: string, key: string): Record<string, string> {
  const lines = yaml.split("\n");
  const at = lines.findIndex((l) => l.trim() === `${key}:`);
  const indent = lines[at].search(/\S/);
  const out: Record<string, string> = {};
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === "" || line.search(/\S/) <= indent) break;
    const m = /^\s*([\w]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** A workspace with the docs' seed file at seed/seed.json and its site directory. */
async function seedWorkspace(): Promise<string> {
  const work = await Deno.makeTempDir({ prefix: "geckos3-ci-" });
  await Deno.mkdir(`${work}/seed/site/css`, { recursive: true });
  await Deno.writeTextFile(`${work}/seed/seed.json`, block("### The seed file", "json"));
  await Deno.writeTextFile(`${work}/seed/site/index.html`, "<h1>seeded</h1>");
  await Deno.writeTextFile(`${work}/seed/site/css/site.css`, "body { color: teal }");
  return work;
}

Deno.test({
  name: "the compose recipe of docs/ci.md: seeded buckets, a public one, MinIO's names and probes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const yaml = block("## docker compose", "yaml");
    const services = yaml.slice(0, yaml.indexOf("\n  tests:"));
    const env = composeMapping(services, "environment");
    assertEquals(env.MINIO_ROOT_USER, "ci-access-key");
    const work = await seedWorkspace();
    // The volume ./seed:/seed of the recipe, on this machine.
    assert(services.includes("- ./seed:/seed:ro"), "the recipe mounts ./seed at /seed");
    env.GECKOS3_SEED = env.GECKOS3_SEED.replace("/seed/", `${work}/seed/`);
    const port = await freePort();
    // The image's own environment (Dockerfile ENV), here a data dir and a loopback port.
    const image = { GECKOS3_DATA_DIR: `${work}/data`, GECKOS3_LISTEN: `127.0.0.1:${port}` };
    let server = await spawnServer([`-listen=${image.GECKOS3_LISTEN}`], { ...image, ...env });
    try {
      const s3 = sdkClient(server.url, {
        credentials: { accessKeyId: env.MINIO_ROOT_USER, secretAccessKey: env.MINIO_ROOT_PASSWORD },
      });
      const names = async () =>
        ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
      assertEquals(await names(), ["artifacts", "site", "uploads"]);
      // The public bucket: unsigned reads and listing, with the type its extension gives.
      const page = await raw(`${server.url}/site/index.html`);
      assertEquals([page.status, page.text], [200, "<h1>seeded</h1>"]);
      assertEquals(page.headers.get("content-type"), "text/html");
      const css = await raw(`${server.url}/site/css/site.css`);
      assertEquals(css.headers.get("content-type"), "text/css");
      assertEquals((await raw(`${server.url}/site?list-type=2`)).status, 200);
      assertEquals((await raw(`${server.url}/uploads?list-type=2`)).status, 403);
      // Its other settings.
      const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: "site" }));
      assertEquals(versioning.Status, "Enabled");
      const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: "site" }));
      assertEquals(tags.TagSet, [{ Key: "team", Value: "web" }]);
      const cors = await raw(`${server.url}/site/index.html`, {
        headers: { origin: "https://app.example" },
      });
      assertEquals(cors.headers.get("access-control-allow-origin"), "*");
      // The seed's user.
      const app = sdkClient(server.url, {
        credentials: { accessKeyId: "app-key", secretAccessKey: "app-secret-key" },
      });
      await app.send(new PutObjectCommand({ Bucket: "uploads", Key: "a.txt", Body: "from app" }));
      await assertS3Error(
        () => app.send(new PutObjectCommand({ Bucket: "artifacts", Key: "a.txt", Body: "x" })),
        "AccessDenied",
        403,
      );
      app.destroy();
      // MinIO's probes, and the health check command of the recipe.
      for (const path of ["/minio/health/live", "/minio/health/ready", "/minio/health/cluster"]) {
        assertEquals((await raw(`${server.url}${path}`)).status, 200, path);
      }
      const test = JSON.parse(composeMapping(services, "healthcheck").test) as string[];
      assertEquals(test.slice(1), ["/usr/local/bin/geckos3", "-healthcheck"]);
      const probe = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...START_FLAGS, MAIN, ...test.slice(2)],
        env: { ...image, ...env },
      }).output();
      assertEquals(probe.code, 0);
      // A restart applies the seed again and keeps what changed since.
      await s3.send(new PutObjectCommand({ Bucket: "site", Key: "index.html", Body: "edited" }));
      await server.stop();
      server = await spawnServer([`-listen=${image.GECKOS3_LISTEN}`], { ...image, ...env });
      assertEquals(await names(), ["artifacts", "site", "uploads"]);
      assertEquals((await raw(`${server.url}/site/index.html`)).text, "edited");
      s3.destroy();
    } finally {
      await server.stop();
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "a seed S3 would refuse stops start-up with one line",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "geckos3-ci-" });
    try {
      const cases: [unknown, string][] = [
        [{
          buckets: [{ name: "bad", cors: [{ AllowedOrigins: ["*"], AllowedMethods: ["FETCH"] }] }],
        }, "bucket bad cors: InvalidRequest"],
        [{ buckets: ["ok-bucket", "No_Such"] }, "bucket No_Such: InvalidBucketName"],
        [
          { buckets: [{ name: "pol", policy: { Statement: "nope" } }] },
          "bucket pol policy: MalformedPolicy",
        ],
        [{ buckets: [{ name: "typo", versionning: "Enabled" }] }, 'unknown "versionning"'],
      ];
      for (const [seed, message] of cases) {
        await Deno.writeTextFile(`${work}/seed.json`, JSON.stringify(seed));
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            ...START_FLAGS,
            MAIN,
            `-data-dir=${work}/data`,
            `-listen=127.0.0.1:${await freePort()}`,
            `-seed=${work}/seed.json`,
          ],
        }).output();
        const stderr = new TextDecoder().decode(out.stderr).trim();
        assertEquals(out.code, 2, stderr);
        assertEquals(stderr.split("\n").length, 1, stderr);
        assert(stderr.includes(message), stderr);
      }
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name: `-ephemeral leaves nothing behind after ${signal}`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const server = await spawnServer([
        `-listen=127.0.0.1:${await freePort()}`,
        "-ephemeral",
        "-buckets=scratch",
        "-access-key=eph-key",
        "-secret-key=eph-secret",
      ]);
      const started = await server.waitFor((l) => l.msg === "geckos3 started");
      const dir = started.data_dir as string;
      assert(dir.includes("geckos3-ephemeral-"), dir);
      // The start-up line says where and how to reach it.
      assertEquals([started.access_key, started.secret_key], ["eph-key", "eph-secret"]);
      const s3 = sdkClient(server.url, {
        credentials: { accessKeyId: "eph-key", secretAccessKey: "eph-secret" },
      });
      await s3.send(new PutObjectCommand({ Bucket: "scratch", Key: "k", Body: "v" }));
      s3.destroy();
      assert((await Deno.stat(`${dir}/scratch/k`)).isFile);
      assertEquals(await server.stop(signal), 0);
      let gone = false;
      try {
        await Deno.stat(dir);
      } catch (e) {
        gone = e instanceof Deno.errors.NotFound;
      }
      assert(gone, `${dir} is still there`);
    },
  });
}

Deno.test({
  name: "MinIO's names and the requests of mc alias set, mb, cp, ls and anonymous set download",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "geckos3-ci-" });
    const port = await freePort();
    const server = await spawnServer([`-data-dir=${data}`, `-listen=127.0.0.1:${port}`], {
      MINIO_ROOT_USER: "minio-user",
      MINIO_ROOT_PASSWORD: "minio-password",
    });
    const mc = new Minio.Client({
      endPoint: "127.0.0.1",
      port,
      useSSL: false,
      accessKey: "minio-user",
      secretKey: "minio-password",
      pathStyle: true,
    });
    const s3 = sdkClient(server.url, {
      credentials: { accessKeyId: "minio-user", secretAccessKey: "minio-password" },
    });
    try {
      // mc alias set: a signed probe of a bucket that does not exist must fail as S3 fails it.
      assertEquals(await mc.bucketExists("probe-bucket-sign-x7k2"), false);
      await assertS3Error(
        () => s3.send(new GetBucketLocationCommand({ Bucket: "probe-bucket-sign-x7k2" })),
        "NoSuchBucket",
        404,
      );
      // mc mb, mc cp, mc ls.
      await mc.makeBucket("releases", "us-east-1");
      await mc.putObject("releases", "v1/app.tar.gz", "bytes of a release");
      const listed: string[] = [];
      for await (const o of mc.listObjectsV2("releases", "", true)) {
        listed.push((o as { name: string }).name);
      }
      assertEquals(listed, ["v1/app.tar.gz"]);
      assertEquals((await mc.listBuckets()).map((b) => b.name), ["releases"]);
      // mc anonymous set download: MinIO's read-only policy, read back as it was put.
      assertEquals((await raw(`${server.url}/releases/v1/app.tar.gz`)).status, 403);
      const download = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: ["*"] },
            Action: ["s3:GetBucketLocation", "s3:ListBucket"],
            Resource: ["arn:aws:s3:::releases"],
          },
          {
            Effect: "Allow",
            Principal: { AWS: ["*"] },
            Action: ["s3:GetObject"],
            Resource: ["arn:aws:s3:::releases/*"],
          },
        ],
      };
      await mc.setBucketPolicy("releases", JSON.stringify(download));
      assertEquals(JSON.parse(await mc.getBucketPolicy("releases")), download);
      const anonymous = await raw(`${server.url}/releases/v1/app.tar.gz`);
      assertEquals([anonymous.status, anonymous.text], [200, "bytes of a release"]);
      assertEquals((await raw(`${server.url}/releases?list-type=2`)).status, 200);
      // mc anonymous set none.
      await mc.setBucketPolicy("releases", "");
      assertEquals((await raw(`${server.url}/releases/v1/app.tar.gz`)).status, 403);
    } finally {
      s3.destroy();
      await server.stop();
      await Deno.remove(data, { recursive: true });
    }
  },
});

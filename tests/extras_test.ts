/**
 * Features beyond the original: object tagging, GetObjectAttributes, bucket
 * CORS rules, Prometheus metrics, readiness, virtual-hosted-style
 * addressing and TLS — each with a real client.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectTaggingCommand,
  GetBucketCorsCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListBucketsCommand,
  NodeHttpHandler,
  PutBucketCorsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from "./deps/aws_sdk.ts";
import https from "node:https";
import { bytesOf, errorCode, md5Hex, raw, sdkClient, serverTest } from "./support/server.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import { sign } from "./support/sign.ts";

const B = "extras";
const text = (s: string) => new TextEncoder().encode(s);

serverTest(
  "object tagging: put, get, delete, x-amz-tagging on PUT and copy, count on GET, limits",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: "t",
        Body: text("x"),
        Tagging: "env=dev&team=gecko%20s3",
      }),
    );
    let tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "t" }));
    assertEquals(tags.TagSet, [{ Key: "env", Value: "dev" }, { Key: "team", Value: "gecko s3" }]);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "t" }));
    await bytesOf(got.Body);
    assertEquals(got.TagCount, 2);

    await t.s3.send(
      new PutObjectTaggingCommand({
        Bucket: B,
        Key: "t",
        Tagging: { TagSet: [{ Key: "only", Value: "one" }] },
      }),
    );
    tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "t" }));
    assertEquals(tags.TagSet, [{ Key: "only", Value: "one" }]);
    // Tagging changes no bytes and no ETag.
    const body = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "t" }));
    assertEquals(new TextDecoder().decode(await bytesOf(body.Body)), "x");
    assertEquals(body.ETag, `"${await md5Hex("x")}"`);

    await t.s3.send(new CopyObjectCommand({ Bucket: B, Key: "copied", CopySource: `${B}/t` }));
    tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "copied" }));
    assertEquals(tags.TagSet, [{ Key: "only", Value: "one" }]);
    await t.s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: "copied2",
        CopySource: `${B}/t`,
        TaggingDirective: "REPLACE",
        Tagging: "fresh=yes",
      }),
    );
    tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "copied2" }));
    assertEquals(tags.TagSet, [{ Key: "fresh", Value: "yes" }]);

    await t.s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: "t" }));
    tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "t" }));
    assertEquals(tags.TagSet ?? [], []);

    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await assertS3Error(
      () =>
        t.s3.send(
          new PutObjectTaggingCommand({ Bucket: B, Key: "t", Tagging: { TagSet: eleven } }),
        ),
      "InvalidTag",
      400,
    );
    for (
      const bad of [
        [{ Key: "k".repeat(129), Value: "v" }],
        [{ Key: "k", Value: "v".repeat(257) }],
        [{ Key: "aws:reserved", Value: "v" }],
        [{ Key: "dup", Value: "1" }, { Key: "dup", Value: "2" }],
      ]
    ) {
      await assertS3Error(
        () =>
          t.s3.send(new PutObjectTaggingCommand({ Bucket: B, Key: "t", Tagging: { TagSet: bad } })),
        "InvalidTag",
        400,
      );
    }
    await assertS3Error(
      () =>
        t.s3.send(
          new PutObjectCommand({ Bucket: B, Key: "bad-tags", Body: text("x"), Tagging: "aws:x=1" }),
        ),
      "InvalidTag",
      400,
    );
    await assertS3Error(
      () => t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "bad-tags" })),
      "NoSuchKey",
      404,
    );
    await assertS3Error(
      () => t.s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "absent" })),
      "NoSuchKey",
      404,
    );
  },
);

serverTest("GetObjectAttributes returns ETag, size, storage class and checksum", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "a", Body: text("attributes") }));
  const attrs = await t.s3.send(
    new GetObjectAttributesCommand({
      Bucket: B,
      Key: "a",
      ObjectAttributes: ["ETag", "ObjectSize", "StorageClass"],
    }),
  );
  assertEquals(attrs.ETag, await md5Hex("attributes"));
  assertEquals(attrs.ObjectSize, 10);
  assertEquals(attrs.StorageClass, "STANDARD");
  assert(attrs.LastModified instanceof Date);
  const r = await raw(`${t.url}/${B}/a?attributes`);
  assertEquals([r.status, errorCode(r.text)], [400, "InvalidArgument"]);
  await assertS3Error(
    () =>
      t.s3.send(
        new GetObjectAttributesCommand({ Bucket: B, Key: "nope", ObjectAttributes: ["ETag"] }),
      ),
    "NoSuchKey",
    404,
  );
});

serverTest(
  "bucket CORS rules are stored and applied exactly; other buckets keep the default",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(new CreateBucketCommand({ Bucket: "open" }));
    await assertS3Error(
      () => t.s3.send(new GetBucketCorsCommand({ Bucket: B })),
      "NoSuchCORSConfiguration",
      404,
    );
    await t.s3.send(
      new PutBucketCorsCommand({
        Bucket: B,
        CORSConfiguration: {
          CORSRules: [{
            AllowedOrigins: ["https://*.example.com"],
            AllowedMethods: ["GET", "PUT"],
            AllowedHeaders: ["content-type", "x-amz-*"],
            ExposeHeaders: ["ETag"],
            MaxAgeSeconds: 600,
          }],
        },
      }),
    );
    const cfg = await t.s3.send(new GetBucketCorsCommand({ Bucket: B }));
    assertEquals(cfg.CORSRules?.[0].AllowedOrigins, ["https://*.example.com"]);
    assertEquals(cfg.CORSRules?.[0].MaxAgeSeconds, 600);

    const preflight = (bucket: string, origin: string, method: string, headers = "") =>
      fetch(`${t.url}/${bucket}/obj`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": method,
          ...(headers ? { "access-control-request-headers": headers } : {}),
        },
      });
    let r = await preflight(B, "https://app.example.com", "PUT", "Content-Type, X-Amz-Date");
    await r.body?.cancel();
    assertEquals(r.status, 200);
    assertEquals(r.headers.get("access-control-allow-origin"), "https://app.example.com");
    assertEquals(r.headers.get("access-control-max-age"), "600");
    assertEquals(r.headers.get("access-control-expose-headers"), "ETag");
    r = await preflight(B, "https://evil.test", "PUT");
    assertEquals([r.status, errorCode(await r.text())], [403, "AccessForbidden"]);
    r = await preflight(B, "https://app.example.com", "DELETE");
    assertEquals(r.status, 403);
    await r.body?.cancel();
    r = await preflight(B, "https://app.example.com", "GET", "x-custom");
    assertEquals(r.status, 403);
    await r.body?.cancel();
    // A bucket without rules keeps the permissive default.
    r = await preflight("open", "https://evil.test", "DELETE");
    await r.body?.cancel();
    assertEquals([r.status, r.headers.get("access-control-allow-origin")], [
      204,
      "https://evil.test",
    ]);

    // Actual requests get CORS headers only when a rule matches.
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "obj", Body: text("x") }));
    let get = await fetch(`${t.url}/${B}/obj`, { headers: { origin: "https://app.example.com" } });
    await get.body?.cancel();
    assertEquals(get.headers.get("access-control-allow-origin"), "https://app.example.com");
    get = await fetch(`${t.url}/${B}/obj`, { headers: { origin: "https://evil.test" } });
    await get.body?.cancel();
    assertEquals(get.headers.get("access-control-allow-origin"), null);

    const signed = sign("PUT", `${t.url}/${B}?cors`);
    const bad = await raw(signed.url, {
      method: "PUT",
      headers: signed.headers,
      body:
        "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
    });
    assertEquals([bad.status, errorCode(bad.text)], [400, "InvalidRequest"]);

    await t.s3.send(new DeleteBucketCorsCommand({ Bucket: B }));
    await assertS3Error(
      () => t.s3.send(new GetBucketCorsCommand({ Bucket: B })),
      "NoSuchCORSConfiguration",
      404,
    );
    r = await preflight(B, "https://evil.test", "DELETE");
    await r.body?.cancel();
    assertEquals(r.status, 204);
  },
  // The permissive default holds only with authentication (see auth_off_origin_test.ts).
  { auth: true },
);

serverTest("-cors=false: no default CORS headers and preflights are refused", async (t) => {
  const r = await fetch(`${t.url}/any/obj`, {
    method: "OPTIONS",
    headers: { origin: "https://x.test", "access-control-request-method": "GET" },
  });
  assertEquals([r.status, errorCode(await r.text())], [403, "AccessForbidden"]);
  const g = await fetch(`${t.url}/health`, { headers: { origin: "https://x.test" } });
  await g.body?.cancel();
  assertEquals(g.headers.get("access-control-allow-origin"), null);
}, { cors: false });

serverTest(
  "/metrics exposes Prometheus counters, histograms and bucket usage; /health/ready",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "m1", Body: text("12345") }));
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "d/m2", Body: text("123") }));
    await raw(`${t.url}/${B}/missing`);
    const m = await raw(`${t.url}/metrics`);
    assertEquals(m.status, 200);
    assert(m.headers.get("content-type")?.startsWith("text/plain"));
    assert(/geckos3_requests_total\{operation="PutObject",status="200"\} 2/.test(m.text), m.text);
    assert(/geckos3_requests_total\{operation="GetObject",status="404"\} 1/.test(m.text));
    assert(
      /geckos3_request_duration_seconds_bucket\{operation="PutObject",le="\+Inf"\} 2/.test(m.text),
    );
    assert(/geckos3_received_bytes_total \d+/.test(m.text));
    assert(/geckos3_requests_in_flight 1/.test(m.text));
    assert(m.text.includes(`geckos3_bucket_objects{bucket="${B}"} 2`));
    assert(m.text.includes(`geckos3_bucket_bytes{bucket="${B}"} 8`));
    const ready = await raw(`${t.url}/health/ready`);
    assertEquals([ready.status, ready.text.trim()], [200, "READY"]);
  },
);

serverTest("metrics can be turned off", async (t) => {
  const m = await raw(`${t.url}/metrics`);
  // Without metrics, /metrics is an ordinary S3 request for a bucket named "metrics".
  assert(m.status >= 400, String(m.status));
  assert(!m.text.includes("geckos3_requests_total"));
}, { metrics: false });

serverTest(
  "virtual-hosted-style requests address the bucket from the Host header, with SigV4",
  async (t) => {
    const port = t.server.port;
    const vhost = new S3Client({
      endpoint: `http://s3.local:${port}`,
      region: "us-east-1",
      forcePathStyle: false,
      credentials: { accessKeyId: "geckoadmin", secretAccessKey: "geckoadmin" },
    });
    // Nothing resolves s3.local here: connect to loopback but keep the signed Host header.
    vhost.middlewareStack.add(
      (next) => (args) => {
        const req = args.request as { hostname: string };
        req.hostname = "127.0.0.1";
        return next(args);
      },
      { step: "finalizeRequest", name: "loopback", priority: "low" },
    );
    try {
      await vhost.send(new CreateBucketCommand({ Bucket: "hosted" }));
      await vhost.send(
        new PutObjectCommand({ Bucket: "hosted", Key: "dir/file.txt", Body: text("via host") }),
      );
      const got = await vhost.send(new GetObjectCommand({ Bucket: "hosted", Key: "dir/file.txt" }));
      assertEquals(new TextDecoder().decode(await bytesOf(got.Body)), "via host");
      // Path style keeps working alongside.
      const path = await t.s3.send(new GetObjectCommand({ Bucket: "hosted", Key: "dir/file.txt" }));
      assertEquals(new TextDecoder().decode(await bytesOf(path.Body)), "via host");
      assertEquals(Deno.readTextFileSync(`${t.dataDir}/hosted/dir/file.txt`), "via host");
    } finally {
      vhost.destroy();
    }
  },
  { domains: ["s3.local"], auth: true },
);

Deno.test({
  name: "TLS: HTTPS with a self-signed certificate for the SDK, fetch and HTTP/2",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const cert = `${dir}/cert.pem`;
    const key = `${dir}/key.pem`;
    const openssl = async (...args: string[]) => {
      const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" })
        .output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    // A throw-away CA, and a server certificate for 127.0.0.1 signed by it.
    await openssl(
      "req",
      "-x509",
      ...ec,
      "-days",
      "2",
      "-subj",
      "/CN=geckos3 test CA",
      "-keyout",
      `${dir}/ca.key`,
      "-out",
      `${dir}/ca.pem`,
    );
    await openssl(
      "req",
      ...ec,
      "-subj",
      "/CN=localhost",
      "-keyout",
      key,
      "-out",
      `${dir}/leaf.csr`,
    );
    Deno.writeTextFileSync(
      `${dir}/ext.cnf`,
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    );
    await openssl(
      "x509",
      "-req",
      "-in",
      `${dir}/leaf.csr`,
      "-CA",
      `${dir}/ca.pem`,
      "-CAkey",
      `${dir}/ca.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      `${dir}/ext.cnf`,
      "-out",
      cert,
    );
    const { startTestServer } = await import("./support/server.ts");
    const t = await startTestServer({ auth: true, tlsCert: cert, tlsKey: key });
    const pem = Deno.readTextFileSync(`${dir}/ca.pem`);
    const client = sdkClient(t.url, {
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: pem }) }),
    });
    const httpClient = Deno.createHttpClient({ caCerts: [pem] });
    try {
      assert(t.url.startsWith("https://127.0.0.1:"));
      await client.send(new CreateBucketCommand({ Bucket: "secure" }));
      await client.send(
        new PutObjectCommand({ Bucket: "secure", Key: "s", Body: text("over tls") }),
      );
      const list = await client.send(new ListBucketsCommand({}));
      assertEquals(list.Buckets?.map((b) => b.Name), ["secure"]);
      const res = await fetch(`${t.url}/health`, { client: httpClient });
      assertEquals([res.status, await res.text()], [200, "OK"]);
      const curl = await new Deno.Command("curl", {
        args: [
          "-s",
          "--http2",
          "--cacert",
          `${dir}/ca.pem`,
          "-o",
          "/dev/null",
          "-w",
          "%{http_version}",
          `${t.url}/health`,
        ],
        stdout: "piped",
      }).output();
      assertEquals(new TextDecoder().decode(curl.stdout), "2");
    } finally {
      httpClient.close();
      client.destroy();
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

serverTest("a preflight without Origin is 400, one no rule allows is 403", async (t) => {
  const preflight = (headers: Record<string, string>) =>
    fetch(`${t.url}/any-bucket/obj`, { method: "OPTIONS", headers });
  let r = await preflight({ "access-control-request-method": "GET" });
  assertEquals([r.status, errorCode(await r.text())], [400, "BadRequest"]);
  r = await preflight({ origin: "https://app.test" });
  assertEquals([r.status, errorCode(await r.text())], [400, "BadRequest"]);
  r = await preflight({ origin: "https://app.test", "access-control-request-method": "PATCH" });
  assertEquals([r.status, errorCode(await r.text())], [403, "AccessForbidden"]);
  r = await preflight({ origin: "https://app.test", "access-control-request-method": "PUT" });
  await r.body?.cancel();
  assertEquals(r.status, 204);
}, { auth: true });

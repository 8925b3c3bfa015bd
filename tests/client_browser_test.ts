/**
 * A real browser (headless Chromium via playwright-core) on a page served by
 * the test from another origin: presigned PUT and GET with fetch, which
 * exercises CORS preflight and exposed headers.
 */
import { launchChromium } from "./support/browser.ts";
import {
  CreateBucketCommand,
  GetObjectCommand,
  getSignedUrl,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { withClientServer } from "./support/clients.ts";
import { sdkClient } from "./support/server.ts";
import { assertEquals } from "./support/assert.ts";
import { md5Hex } from "./support/server.ts";

Deno.test({
  name: "browser: presigned PUT and GET with fetch across origins (preflight, exposed ETag)",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await withClientServer(async (c) => {
    const s3 = sdkClient(c.url, {
      credentials: { accessKeyId: "geckoadmin", secretAccessKey: "geckoadmin" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: "browser-bucket" }));
    const putUrl = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: "browser-bucket", Key: "from-browser.json" }),
      { expiresIn: 300 },
    );
    const getUrl = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: "browser-bucket", Key: "from-browser.json" }),
      { expiresIn: 300 },
    );
    const page = `<!doctype html><meta charset="utf-8"><title>upload</title><script>
      window.run = async () => {
        const body = JSON.stringify({ hello: "browser", n: 42 });
        const put = await fetch(${
      JSON.stringify(putUrl)
    }, { method: "PUT", body, headers: { "Content-Type": "application/json" } });
        const get = await fetch(${JSON.stringify(getUrl)});
        return { put: put.status, putEtag: put.headers.get("ETag"), get: get.status, etag: get.headers.get("ETag"),
                 type: get.headers.get("Content-Type"), text: await get.text() };
      };
    </script>`;
    const ac = new AbortController();
    const site = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      () => new Response(page, { headers: { "content-type": "text/html" } }),
    );
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${site.addr.port}/`);
      const result = await tab.evaluate("window.run()") as Record<string, unknown>;
      const expected = JSON.stringify({ hello: "browser", n: 42 });
      const etag = `"${await md5Hex(expected)}"`;
      assertEquals(result, {
        put: 200,
        putEtag: etag,
        get: 200,
        etag,
        type: "application/json",
        text: expected,
      });
    } finally {
      await browser.close();
      ac.abort();
      await site.finished;
      s3.destroy();
    }
  });
});

/**
 * A public static site in a bucket, opened in headless Chromium with no
 * credentials at all: the page and its assets load straight from the
 * bucket (public by its policy), a public-read object of a private bucket
 * loads across origins, and private objects stay refused.
 */
import { launchChromium } from "./support/browser.ts";
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from "./deps/aws_sdk.ts";
import { startTestServer } from "./support/server.ts";
import { publicReadPolicy } from "./support/users.ts";
import { assertEquals } from "./support/assert.ts";

Deno.test({
  name: "browser: a public bucket and a public-read object are served to unsigned fetches",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const t = await startTestServer({ auth: true });
  const browser = await launchChromium();
  try {
    const put = (Bucket: string, Key: string, Body: string, extra: Record<string, string> = {}) =>
      t.s3.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
    await t.s3.send(new CreateBucketCommand({ Bucket: "site" }));
    await t.s3.send(new CreateBucketCommand({ Bucket: "vault" }));
    await t.s3.send(
      new PutBucketPolicyCommand({ Bucket: "site", Policy: publicReadPolicy("site") }),
    );
    await put("site", "index.html", '<!doctype html><title>site</title><h1 id="h">hello</h1>', {
      ContentType: "text/html",
    });
    await put("site", "data.json", '{"n": 42}', { ContentType: "application/json" });
    await put("vault", "logo.txt", "public logo", { ACL: "public-read" });
    await put("vault", "secret.txt", "secret");
    const tab = await browser.newPage();
    const page = await tab.goto(`${t.url}/site/index.html`);
    assertEquals(page?.status(), 200);
    assertEquals(await tab.textContent("#h"), "hello");
    const result = await tab.evaluate(`(async () => {
      const get = async (path) => {
        const r = await fetch(path, { credentials: "omit" });
        return [r.status, await r.text()];
      };
      return {
        data: await get("/site/data.json"),
        logo: await get("/vault/logo.txt"),
        secret: (await get("/vault/secret.txt"))[0],
        write: (await fetch("/site/x", { method: "PUT", body: "x" })).status,
      };
    })()`) as Record<string, unknown>;
    assertEquals(result, {
      data: [200, '{"n": 42}'],
      logo: [200, "public logo"],
      secret: 403,
      write: 403,
    });
    // From another origin too (CORS): the public object, unsigned.
    const ac = new AbortController();
    const other = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      () =>
        new Response("<!doctype html><title>other</title>", {
          headers: { "content-type": "text/html" },
        }),
    );
    try {
      await tab.goto(`http://127.0.0.1:${other.addr.port}/`);
      const cross = await tab.evaluate(
        `fetch(${
          JSON.stringify(`${t.url}/vault/logo.txt`)
        }).then(async (r) => [r.status, await r.text()])`,
      );
      assertEquals(cross, [200, "public logo"]);
    } finally {
      ac.abort();
      await other.finished;
    }
  } finally {
    await browser.close();
    await t.close();
  }
});

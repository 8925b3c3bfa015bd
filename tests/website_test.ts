/**
 * Static website hosting in headless Chromium: a public bucket's site at
 * `<bucket>.<website domain>` with its index documents, the redirect from
 * `folder` to `folder/`, a routing rule, the error document with its 404,
 * scripts running; a private bucket's site refused, a bucket without a
 * website configuration answered as S3 does.
 */
import { launchChromium } from "./support/browser.ts";
import {
  CreateBucketCommand,
  PutBucketPolicyCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { rawHttp, startTestServer } from "./support/server.ts";
import { publicReadPolicy } from "./support/users.ts";
import { assert, assertEquals } from "./support/assert.ts";

const DOMAIN = "s3-website.test";

Deno.test({
  name: "website: index documents, folder redirect, routing rule, error document, access",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const t = await startTestServer({ auth: true, websiteDomains: [DOMAIN] });
  const browser = await launchChromium([`--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1`]);
  try {
    const put = (Bucket: string, Key: string, Body: string, ContentType = "text/html") =>
      t.s3.send(new PutObjectCommand({ Bucket, Key, Body, ContentType }));
    for (const Bucket of ["site", "private-site", "plain"]) {
      await t.s3.send(new CreateBucketCommand({ Bucket }));
    }
    await t.s3.send(
      new PutBucketPolicyCommand({ Bucket: "site", Policy: publicReadPolicy("site") }),
    );
    const config = {
      IndexDocument: { Suffix: "index.html" },
      ErrorDocument: { Key: "404.html" },
      RoutingRules: [{
        Condition: { KeyPrefixEquals: "old/" },
        Redirect: { ReplaceKeyPrefixWith: "docs/" },
      }],
    };
    for (const Bucket of ["site", "private-site"]) {
      await t.s3.send(new PutBucketWebsiteCommand({ Bucket, WebsiteConfiguration: config }));
      await put(
        Bucket,
        "index.html",
        '<!doctype html><h1 id="h">home</h1><script src="/app.js"></script>',
      );
    }
    await put("site", "app.js", 'document.title = "scripted";', "text/javascript");
    await put("site", "docs/index.html", '<!doctype html><h1 id="h">docs</h1>');
    await put("site", "404.html", '<!doctype html><h1 id="h">lost</h1>');
    const port = new URL(t.url).port;
    const at = (bucket: string, path: string) => `http://${bucket}.${DOMAIN}:${port}${path}`;
    const tab = await browser.newPage();
    const home = await tab.goto(at("site", "/"));
    assertEquals(home?.status(), 200);
    assertEquals(await tab.textContent("#h"), "home");
    await tab.waitForFunction(`document.title === "scripted"`);
    const docs = await tab.goto(at("site", "/docs"));
    assertEquals([docs?.status(), new URL(tab.url()).pathname], [200, "/docs/"]);
    assertEquals(await tab.textContent("#h"), "docs");
    await tab.goto(at("site", "/old/index.html"));
    assertEquals(new URL(tab.url()).pathname, "/docs/index.html");
    const lost = await tab.goto(at("site", "/nowhere"));
    assertEquals(lost?.status(), 404);
    assertEquals(await tab.textContent("#h"), "lost");
    const refused = await tab.goto(at("private-site", "/"));
    assertEquals(refused?.status(), 403);
    assert((await tab.content()).includes("AccessDenied"));
    const none = await tab.goto(at("plain", "/"));
    assertEquals(none?.status(), 404);
    assert((await tab.content()).includes("NoSuchWebsiteConfiguration"));
    // A path that climbs out of the bucket names a key like any other: nothing outside is read.
    for (
      const path of [
        "/../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
      ]
    ) {
      const r = await rawHttp(
        t,
        `GET ${path} HTTP/1.1\r\nHost: site.${DOMAIN}:${port}\r\nConnection: close\r\n\r\n`,
      );
      assertEquals(r.status, 404, path);
      assert(!r.text.includes("root:"), path);
    }
    // The S3 endpoint itself is unchanged: a website host is only a website.
    const api = await fetch(`${t.url}/site/index.html`);
    assertEquals(api.headers.get("content-security-policy"), "sandbox");
    await api.body?.cancel();
  } finally {
    await browser.close();
    await t.close();
  }
});

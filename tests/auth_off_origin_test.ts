/**
 * With `-auth=false` nothing but the browser's Origin tells a page the user
 * visits from the user's own tools: requests from other origins are refused
 * unless the bucket's CORS rules name them, including the form POSTs and
 * `text/plain` fetches a browser sends without a preflight. The server's own
 * pages (the console) and non-browser clients are served as before.
 */
import { launchChromium } from "./support/browser.ts";
import { raw, serverTest } from "./support/server.ts";
import { errorCode } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";

const DELETE_BODY = "<Delete><Object><Key>precious</Key></Object></Delete>";

serverTest(
  "auth off: other origins are refused unless a bucket's CORS rules allow them",
  async (t) => {
    await raw(`${t.url}/open`, { method: "PUT" });
    await raw(`${t.url}/open/precious`, { method: "PUT", body: "keep me" });
    const host = new URL(t.url).host;
    // A page elsewhere: its preflight and its simple requests are refused, nothing changes.
    const pre = await raw(`${t.url}/open/precious`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.test", "access-control-request-method": "DELETE" },
    });
    assertEquals([pre.status, errorCode(pre.text)], [403, "AccessForbidden"]);
    const post = await raw(`${t.url}/open?delete`, {
      method: "POST",
      headers: { origin: "https://evil.test", "content-type": "text/plain" },
      body: DELETE_BODY,
    });
    assertEquals([post.status, errorCode(post.text)], [403, "AccessForbidden"]);
    assertEquals(post.headers.get("access-control-allow-origin"), null);
    const read = await raw(`${t.url}/open/precious`, { headers: { origin: "null" } });
    assertEquals([read.status, errorCode(read.text)], [403, "AccessForbidden"]);
    assertEquals((await raw(`${t.url}/open/precious`)).text, "keep me");
    // The server's own origin (the console) and clients that send no Origin are served.
    const own = await raw(`${t.url}/open/precious`, { headers: { origin: `http://${host}` } });
    assertEquals([own.status, own.text], [200, "keep me"]);
    // A bucket whose CORS rules name the origin lets that origin in, for the methods named.
    await raw(`${t.url}/open?cors`, {
      method: "PUT",
      body:
        "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    });
    const allowed = await raw(`${t.url}/open/precious`, {
      headers: { origin: "https://app.test" },
    });
    assertEquals([allowed.status, allowed.text], [200, "keep me"]);
    assertEquals(allowed.headers.get("access-control-allow-origin"), "https://app.test");
    const notThatMethod = await raw(`${t.url}/open?delete`, {
      method: "POST",
      headers: { origin: "https://app.test" },
      body: DELETE_BODY,
    });
    assertEquals(notThatMethod.status, 403);
    assertEquals((await raw(`${t.url}/open/precious`)).text, "keep me");
  },
);

serverTest(
  "auth off: a page on another origin cannot delete through the user's browser",
  async (t) => {
    await raw(`${t.url}/open`, { method: "PUT" });
    await raw(`${t.url}/open/precious`, { method: "PUT", body: "keep me" });
    // The attacker's page: a form-like POST that needs no preflight, and a read.
    const page = `<script>
    fetch(${JSON.stringify(`${t.url}/open?delete`)}, { method: "POST", mode: "no-cors",
      headers: { "content-type": "text/plain" }, body: ${JSON.stringify(DELETE_BODY)} })
      .then(() => fetch(${JSON.stringify(`${t.url}/open/precious`)}))
      .then((r) => r.text()).then((t) => { document.title = "READ:" + t; })
      .catch(() => { document.title = "DONE"; });
  </script>`;
    const site = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response(page, { headers: { "content-type": "text/html" } }),
    );
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://localhost:${site.addr.port}/`);
      await tab.waitForFunction(() =>
        (globalThis as unknown as { document: { title: string } })
          .document.title !== ""
      );
      assert(!(await tab.title()).includes("keep me"), "the other origin read the object");
      assertEquals((await raw(`${t.url}/open/precious`)).text, "keep me");
    } finally {
      await browser.close();
      await site.shutdown();
    }
  },
);

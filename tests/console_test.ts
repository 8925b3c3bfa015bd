/**
 * The web console in headless Chromium: log in, create a bucket, upload a
 * file and a folder, browse, preview, share a presigned link, delete — all
 * through the console's own SigV4-signed S3 calls.
 */
import { launchChromium } from "./support/browser.ts";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { raw, serverTest } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";

const ARTIFACTS = new URL("../artifacts", import.meta.url).pathname;

serverTest(
  "console: log in, create a bucket, upload, browse, preview, share, delete",
  async (t) => {
    const page0 = await raw(`${t.url}/_console/`);
    assertEquals(page0.status, 200);
    const csp = page0.headers.get("content-security-policy") ?? "";
    assert(csp.includes("default-src 'self'") && !csp.includes("unsafe-inline"), csp);
    // The page's script and style are files of their own, which the policy lets in.
    const html = page0.text;
    assert(!/<script>|<style>|style="/.test(html), html);
    for (const [file, type] of [["app.js", "text/javascript"], ["console.css", "text/css"]]) {
      const asset = await raw(`${t.url}/_console/${file}`);
      assert(asset.headers.get("content-type")?.startsWith(type), file);
    }
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      page.on("console", (m) => {
        if (/Content.Security.Policy/i.test(m.text())) pageErrors.push(m.text());
      });
      await page.goto(`${t.url}/_console/`);
      // A wrong secret is refused by the server and reported.
      await page.getByLabel("Access key").fill("geckoadmin");
      await page.getByLabel("Secret key").fill("wrong");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByText("SignatureDoesNotMatch").waitFor();
      await page.getByRole("button", { name: "Log out" }).click();
      await page.getByLabel("Access key").fill("geckoadmin");
      await page.getByLabel("Secret key").fill("geckoadmin");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByText("0 bucket(s)").waitFor();
      await page.getByLabel("New bucket").fill("console-bucket");
      await page.getByRole("button", { name: "Create bucket" }).click();
      await page.getByRole("link", { name: "console-bucket" }).click();
      await page.getByLabel("Upload files").setInputFiles([
        {
          name: "hello.json",
          mimeType: "application/json",
          buffer: Buffer.from('{"from":"console"}'),
        },
        {
          name: "notes.txt",
          mimeType: "text/plain",
          buffer: Buffer.from("plain notes"),
        },
      ]);
      await page.getByRole("link", { name: "hello.json" }).waitFor();
      assertEquals((await raw(`${t.url}/console-bucket/hello.json`)).status, 403); // the bucket is not public
      const stored = t.server.storage.openObject("console-bucket", "hello.json");
      stored.close();
      assertEquals([stored.meta.contentType, stored.meta.size], ["application/json", 18]);
      // Details with an inline JSON preview, then a presigned link that works without credentials.
      await page.getByRole("link", { name: "hello.json" }).click();
      await page.getByLabel("Preview").waitFor();
      assert((await page.getByLabel("Preview").textContent())?.includes('"from": "console"'));
      await page.getByRole("button", { name: "Share link" }).click();
      const link = await page.getByLabel("Presigned link").inputValue();
      assert(link.includes("X-Amz-Signature="), link);
      assertEquals((await raw(link)).text, '{"from":"console"}');
      // Download through the browser and compare the bytes.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("row", { name: /hello\.json/ }).getByRole("button", { name: "Download" })
          .click(),
      ]);
      const saved = await download.path();
      assertEquals(await Deno.readTextFile(saved!), '{"from":"console"}');
      // Folders and breadcrumbs.
      page.once("dialog", (d) => d.accept("reports"));
      await page.getByRole("button", { name: "New folder" }).click();
      await page.getByRole("link", { name: "📁 reports/" }).click();
      await page.getByText("0 item(s)").waitFor();
      await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("link", {
        name: "console-bucket",
      }).click();
      // Delete the two files at once.
      await page.getByLabel("Select hello.json").check();
      await page.getByLabel("Select notes.txt").check();
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Delete selected" }).click();
      await page.getByText("1 item(s)").waitFor();
      assertEquals((await t.server.storage.headObject("console-bucket", "reports/")).size, 0);
      // A 20 MiB file by the picker (progress reaches 100%), then one over 64 MiB, which goes up as
      // a multipart upload (16 MiB parts).
      const tmp = await Deno.makeTempDir();
      const mid = new Uint8Array(20 * 1024 * 1024).map((_, i) => (i * 7) & 255);
      await Deno.writeFile(`${tmp}/mid.bin`, mid);
      await page.getByLabel("Upload files").setInputFiles(`${tmp}/mid.bin`);
      await page.getByRole("link", { name: "mid.bin" }).waitFor({ timeout: 60_000 });
      assertEquals(
        await page.getByLabel("Upload of mid.bin").evaluate((e) =>
          (e as unknown as { value: number }).value
        ),
        1,
      );
      const midMeta = await t.server.storage.headObject("console-bucket", "mid.bin");
      assertEquals(midMeta.etag, `"${createHash("md5").update(mid).digest("hex")}"`);
      await Deno.writeFile(`${tmp}/big.bin`, new Uint8Array(66 * 1024 * 1024).fill(7));
      await page.getByLabel("Upload files").setInputFiles(`${tmp}/big.bin`);
      await page.getByRole("link", { name: "big.bin" }).waitFor({ timeout: 120_000 });
      const bigMeta = await t.server.storage.headObject("console-bucket", "big.bin");
      assertEquals(bigMeta.size, 66 * 1024 * 1024);
      assert(bigMeta.etag.endsWith('-5"'), bigMeta.etag);
      await Deno.remove(tmp, { recursive: true });
      // A screenshot of the bucket view, for people to look at.
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/console-bucket.png`, fullPage: true });
      // Delete everything: the objects, then the bucket.
      for (const name of ["mid.bin", "big.bin"]) await page.getByLabel(`Select ${name}`).check();
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Delete selected" }).click();
      await page.getByRole("link", { name: "📁 reports/" }).click();
      await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("link", {
        name: "console-bucket",
      }).click();
      await t.server.storage.deleteObject({ bucket: "console-bucket", key: "reports/" });
      await page.getByRole("navigation", { name: "Breadcrumbs" }).getByRole("link", {
        name: "Buckets",
      }).click();
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Delete bucket console-bucket" }).click();
      await page.getByText("0 bucket(s)").waitFor();
      assertEquals(pageErrors, []);
    } finally {
      await browser.close();
    }
  },
  { auth: true },
);

serverTest("-console=false: no console route", async (t) => {
  const r = await raw(`${t.url}/_console/`);
  assert(r.status === 400 || r.status === 404, String(r.status));
}, { console: false });

/**
 * The web console in headless Chromium: log in, create a bucket, upload a
 * file and a folder, browse, preview, share a presigned link, delete — all
 * through the console's own SigV4-signed S3 calls.
 */
import { chromium } from "playwright-core";
import { Buffer } from "node:buffer";
import { raw, serverTest } from "./support/server.ts";
import { hasCommand } from "./support/clients.ts";
import { assert, assertEquals } from "./support/assert.ts";

const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"]
  .find((p) => hasCommand(p));

serverTest(
  "console: log in, create a bucket, upload, browse, preview, share, delete",
  async (t) => {
    if (!CHROMIUM) {
      throw new Error(
        'chromium is not installed: install the Debian package "chromium" (.ci/run does)',
      );
    }
    const page0 = await raw(`${t.url}/_console/`);
    assertEquals(page0.status, 200);
    assert(page0.headers.get("content-security-policy")?.includes("default-src 'self'"));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
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
      const stored = await t.server.storage.openObject("console-bucket", "hello.json");
      stored.file.close();
      assertEquals([stored.meta.contentType, stored.meta.size], ["application/json", 18]);
      // Details with an inline JSON preview, then a presigned link that works without credentials.
      await page.getByRole("link", { name: "hello.json" }).click();
      await page.getByLabel("Preview").waitFor();
      assert((await page.getByLabel("Preview").textContent())?.includes('"from": "console"'));
      await page.getByRole("button", { name: "Share link" }).click();
      const link = await page.getByLabel("Presigned link").inputValue();
      assert(link.includes("X-Amz-Signature="), link);
      assertEquals((await raw(link)).text, '{"from":"console"}');
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
      // A file over 64 MiB goes up as a multipart upload (16 MiB parts).
      const bigFile = `${await Deno.makeTempDir()}/big.bin`;
      await Deno.writeFile(bigFile, new Uint8Array(66 * 1024 * 1024).fill(7));
      const big = { length: 66 * 1024 * 1024 };
      await page.getByLabel("Upload files").setInputFiles(bigFile);
      await page.getByRole("link", { name: "big.bin" }).waitFor({ timeout: 120_000 });
      const bigMeta = await t.server.storage.headObject("console-bucket", "big.bin");
      assertEquals(bigMeta.size, big.length);
      assert(bigMeta.etag.endsWith('-5"'), bigMeta.etag);
      await Deno.remove(bigFile.slice(0, bigFile.lastIndexOf("/")), { recursive: true });
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

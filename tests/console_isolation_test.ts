/**
 * Objects never run script on the console's origin: an HTML or SVG object
 * (or a text object served as HTML through `response-content-type`), opened
 * through a share link in the tab where the console is logged in, cannot read
 * the secret the console keeps in sessionStorage. The console cannot be framed.
 */
import { launchChromium } from "./support/browser.ts";
import {
  CreateBucketCommand,
  GetObjectCommand,
  getSignedUrl,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { raw, serverTest } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";

/** Script that, if it runs, copies the console's session into the document's title. */
const STEAL = `document.title = "LEAK:" + sessionStorage.getItem("geckos3-console");`;

serverTest(
  "an uploaded HTML or SVG object opened in the console's tab cannot read its secret",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: "planted" }));
    const objects: [string, string, string][] = [
      ["page.html", "text/html", `<html><body><script>${STEAL}</script></body></html>`],
      [
        "image.svg",
        "image/svg+xml",
        `<svg xmlns="http://www.w3.org/2000/svg"><script>${STEAL}</script></svg>`,
      ],
      ["notes.txt", "text/plain", `<html><body><script>${STEAL}</script></body></html>`],
    ];
    for (const [Key, ContentType, Body] of objects) {
      await t.s3.send(new PutObjectCommand({ Bucket: "planted", Key, ContentType, Body }));
    }
    const shareLink = (key: string, overrideType?: string) =>
      getSignedUrl(
        t.s3,
        new GetObjectCommand({ Bucket: "planted", Key: key, ResponseContentType: overrideType }),
        { expiresIn: 300 },
      );
    const links = [
      await shareLink("page.html"),
      await shareLink("image.svg"),
      await shareLink("notes.txt", "text/html"),
    ];

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${t.url}/_console/`);
      await page.getByLabel("Access key").fill("geckoadmin");
      await page.getByLabel("Secret key").fill("geckoadmin");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByText("1 bucket(s)").waitFor();
      const session = await page.evaluate(() => sessionStorage.getItem("geckos3-console"));
      assert(session?.includes("geckoadmin"), "the console keeps its secret in this tab");
      for (const link of links) {
        await page.goto(link);
        await page.waitForLoadState("load");
        const title = await page.title();
        assert(!title.includes("LEAK"), `script ran on the server's origin: ${link}`);
      }
      // The console itself refuses to be framed by another page.
      await page.goto(`${t.url}/_console/`);
      await page.setContent(`<iframe src="${t.url}/_console/"></iframe>`);
      const frame = page.frames()[1];
      const framed = await frame?.content().catch(() => "");
      assert(!framed?.includes("Log in"), "the console rendered inside a frame");
    } finally {
      await browser.close();
    }
    const consolePage = await raw(`${t.url}/_console/`);
    assert(consolePage.headers.get("content-security-policy")?.includes("frame-ancestors 'none'"));
    assertEquals(consolePage.headers.get("x-frame-options"), "DENY");
    const object = await raw(links[0]);
    assertEquals(object.headers.get("content-security-policy"), "sandbox");
    assertEquals(object.headers.get("x-content-type-options"), "nosniff");
  },
  { auth: true },
);

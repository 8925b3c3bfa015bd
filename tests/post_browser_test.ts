/**
 * Browser uploads in headless Chromium from a page of another origin: a
 * 50 MiB file through an HTML form (303 to the page's own success URL) and
 * through fetch(FormData) (201 with the PostResponse document, read across
 * origins); the bytes stored are the bytes sent.
 */
import { createHash } from "node:crypto";
import { launchChromium } from "./support/browser.ts";
import { CreateBucketCommand, createPresignedPost, GetObjectCommand } from "./deps/aws_sdk.ts";
import { withClientServer, writeRandomFile } from "./support/clients.ts";
import { startTestServer } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";

const B = "browser-posts";
const SIZE = 50 * 1024 * 1024;

async function md5OfStream(body: ReadableStream<Uint8Array>): Promise<string> {
  const h = createHash("md5");
  for await (const chunk of body) h.update(chunk);
  return h.digest("hex");
}

Deno.test({
  name:
    "browser: a 50 MiB upload by form (303 redirect) and by fetch(FormData) (201), across origins",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const t = await startTestServer({ auth: true });
  const dir = await Deno.makeTempDir({ prefix: "geckos3-post-browser-" });
  const browser = await launchChromium();
  const ac = new AbortController();
  try {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const file = `${dir}/movie.bin`;
    await writeRandomFile(file, SIZE, 7);
    const fileMd5 = await md5OfStream((await Deno.open(file)).readable);
    const policy = await createPresignedPost(t.s3 as never, {
      Bucket: B,
      Key: "incoming/${filename}",
      Conditions: [
        ["starts-with", "$key", "incoming/"],
        ["content-length-range", 1, 64 * 1024 * 1024],
        ["starts-with", "$success_action_redirect", ""],
        ["starts-with", "$success_action_status", ""],
        ["starts-with", "$Content-Type", ""],
      ],
      Expires: 600,
    });
    const hidden = Object.entries(policy.fields)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join("\n");
    let port = 0;
    const site: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      (req): Response => {
        const path = new URL(req.url).pathname;
        const page: string = path === "/done"
          ? `<!doctype html><title>done</title><p id="done">uploaded</p>`
          : `<!doctype html><title>upload</title>
          <form id="f" method="post" action="${policy.url}" enctype="multipart/form-data">
            ${hidden}
            <input type="hidden" name="Content-Type" value="video/mp4">
            <input type="hidden" name="success_action_redirect" value="http://127.0.0.1:${port}/done">
            <input type="file" name="file">
            <button type="submit">Upload</button>
          </form>
          <script>
            window.upload = async (fields) => {
              const bytes = new Uint8Array(${SIZE});
              for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 255;
              const form = new FormData();
              for (const [k, v] of Object.entries(fields)) form.append(k, v);
              form.append("success_action_status", "201");
              form.append("Content-Type", "application/octet-stream");
              form.append("file", new Blob([bytes]), "generated.bin");
              const r = await fetch(${JSON.stringify(policy.url)}, { method: "POST", body: form });
              return [r.status, await r.text()];
            };
          </script>`;
        return new Response(page, { headers: { "content-type": "text/html" } });
      },
    );
    port = site.addr.port;
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${site.addr.port}/`);
    await tab.setInputFiles("input[type=file]", file);
    await Promise.all([tab.waitForURL(/\/done\?/, { timeout: 60_000 }), tab.click("button")]);
    const done = new URL(tab.url());
    assertEquals([done.searchParams.get("bucket"), done.searchParams.get("key")], [
      B,
      "incoming/movie.bin",
    ]);
    assertEquals(done.searchParams.get("etag"), `"${fileMd5}"`);
    assertEquals(await tab.textContent("#done"), "uploaded");
    const stored = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "incoming/movie.bin" }));
    assertEquals(stored.ContentType, "video/mp4");
    assertEquals(await md5OfStream(stored.Body!.transformToWebStream()), fileMd5);
    // fetch(FormData) from the same page: 201 and the PostResponse, readable across origins.
    await tab.goto(`http://127.0.0.1:${port}/`);
    const [status, xml] = await tab.evaluate(
      `window.upload(${JSON.stringify(policy.fields)})`,
    ) as [number, string];
    assertEquals(status, 201, xml);
    assert(xml.includes("<Key>incoming/generated.bin</Key>"), xml);
    const expected = new Uint8Array(SIZE);
    for (let i = 0; i < SIZE; i += 4096) expected[i] = (i / 4096) & 255;
    const generated = await t.s3.send(
      new GetObjectCommand({ Bucket: B, Key: "incoming/generated.bin" }),
    );
    assertEquals(
      await md5OfStream(generated.Body!.transformToWebStream()),
      createHash("md5").update(expected).digest("hex"),
    );
  } finally {
    ac.abort();
    await browser.close();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "browser: the README's upload page, made by its Python example, uploads a file",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const start = readme.indexOf("```python\n", readme.indexOf("### Browser uploads (POST)"));
  const example = readme.slice(start + "```python\n".length, readme.indexOf("```", start + 10));
  await withClientServer(async (c) => {
    await c.run("python3", ["-c", example], { env: { S3_ENDPOINT: c.url } });
    const png = `${c.work}/cat.png`;
    await Deno.writeFile(png, new TextEncoder().encode("\x89PNG not really"));
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(`file://${c.work}/upload.html`);
      await tab.setInputFiles("input[type=file]", png);
      const [response] = await Promise.all([
        tab.waitForResponse((r) => r.request().method() === "POST"),
        tab.click("button"),
      ]);
      assertEquals(response.status(), 201);
      assert((await response.text()).includes("<Key>uploads/cat.png</Key>"));
      const got = await c.run("python3", [
        "-c",
        `
import boto3, os
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], aws_access_key_id="geckoadmin",
                  aws_secret_access_key="geckoadmin", region_name="us-east-1")
o = s3.get_object(Bucket="avatars", Key="uploads/cat.png")
print(o["ContentType"], o["ContentLength"])`,
      ], { env: { S3_ENDPOINT: c.url } });
      assertEquals(got.stdout.trim(), "image/png 16");
    } finally {
      await browser.close();
    }
  });
});

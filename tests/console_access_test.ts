/**
 * The web console's access view in headless Chromium: a bucket's access
 * shown, the bucket and then one prefix made publicly readable and private
 * again (checked with unsigned requests), and a policy edited by hand, with
 * S3's refusal of a bad one shown on the page.
 */
import { launchChromium, openConsoleBucket } from "./support/browser.ts";
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { raw, serverTest } from "./support/server.ts";
import { assert, assertEquals, assertRejects } from "./support/assert.ts";

const B = "console-access";

serverTest("console: make a bucket and a prefix public and private, edit the policy", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  for (const key of ["root.txt", "assets/logo.svg"]) {
    await t.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: key }));
  }
  const anonymous = async (key: string) => (await raw(`${t.url}/${B}/${key}`)).status;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors = await openConsoleBucket(page, t.url, B);
    await page.getByRole("button", { name: "Access" }).click();
    const state = page.getByLabel("Access state");
    await state.getByText("Access: private").waitFor();
    // The whole bucket, public and back.
    await page.getByRole("button", { name: "Make the whole bucket publicly readable" }).click();
    await state.getByText("Access: public read").waitFor();
    assertEquals([await anonymous("root.txt"), await anonymous("assets/logo.svg")], [200, 200]);
    await page.getByRole("button", { name: "Make the whole bucket private" }).click();
    await state.getByText("Access: private").waitFor();
    assertEquals(await anonymous("root.txt"), 403);
    // One prefix.
    await page.getByRole("link", { name: "📁 assets/" }).click();
    await page.getByRole("button", { name: "Access" }).click();
    await page.getByRole("button", { name: "Make assets/* publicly readable" }).click();
    await state.getByText("Access: public read under assets/").waitFor();
    assertEquals([await anonymous("assets/logo.svg"), await anonymous("root.txt")], [200, 403]);
    // The policy by hand: a bad action is refused with S3's message, a good one saved.
    const editor = page.getByLabel("Bucket policy");
    const policy = JSON.parse(await editor.inputValue());
    policy.Statement[0].Action = "s3:GetObjekt";
    await editor.fill(JSON.stringify(policy));
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByLabel("Policy error").getByText("MalformedPolicy: Policy has invalid action")
      .waitFor();
    policy.Statement[0].Action = ["s3:GetObject"];
    policy.Statement[0].Sid = "Mine";
    await editor.fill(JSON.stringify(policy));
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByText("Policy saved").waitFor();
    await state.getByText("Access: custom policy").waitFor();
    const stored = await t.s3.send(new GetBucketPolicyCommand({ Bucket: B }));
    assertEquals(JSON.parse(stored.Policy!).Statement[0].Sid, "Mine");
    page.on("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Delete policy" }).click();
    await state.getByText("Access: private").waitFor();
    await assertRejects(() => t.s3.send(new GetBucketPolicyCommand({ Bucket: B })));
    assertEquals(await anonymous("assets/logo.svg"), 403);
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  } finally {
    await browser.close();
  }
}, { auth: true });

serverTest("console: a bucket's settings, read-only", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors = await openConsoleBucket(page, t.url, B);
    await page.getByRole("button", { name: "Settings" }).click();
    const cell = (name: string) => page.getByRole("cell", { name, exact: true });
    await cell("Website").getByText("not configured").waitFor();
    assertEquals(await cell("Default encryption").textContent(), "none");
    assertEquals(await cell("Lifecycle rules").textContent(), "none");
    await t.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: B,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
      }),
    );
    await t.s3.send(
      new PutBucketWebsiteCommand({
        Bucket: B,
        WebsiteConfiguration: {
          IndexDocument: { Suffix: "index.html" },
          ErrorDocument: { Key: "404.html" },
        },
      }),
    );
    await t.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: {
          Rules: [{
            ID: "logs",
            Status: "Enabled",
            Filter: { Prefix: "logs/" },
            Expiration: { Days: 30 },
          }],
        },
      }),
    );
    await page.getByRole("button", { name: "Settings" }).click();
    await cell("Website").getByText("index index.html, errors 404.html").waitFor();
    assertEquals(
      await cell("Default encryption").textContent(),
      "AES256 (recorded; files stay plain)",
    );
    assertEquals(await cell("Lifecycle rules").textContent(), "1");
    const rules = page.getByRole("table", { name: "Lifecycle rules" });
    await rules.getByRole("cell", { name: "30 days" }).waitFor();
    await rules.getByRole("cell", { name: "logs/" }).waitFor();
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  } finally {
    await browser.close();
  }
}, { auth: true });

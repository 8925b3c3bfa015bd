/**
 * The console as the control room, in headless Chromium against a server
 * with auth on: the dashboard's numbers equal ListObjects and the files on
 * disk; bucket settings are saved and refused as S3 answers; a user made in
 * the console signs a boto3 request until its key is rotated; the activity
 * page shows the requests; an object's tags and metadata are edited. Every
 * page is captured in light and dark (artifacts/screenshots/), and any page
 * error fails the test.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketVersioningCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import type { Page } from "./deps/playwright.ts";
import { launchChromium } from "./support/browser.ts";
import { assert, assertEquals, assertS3Error } from "./support/assert.ts";
import { ACCESS_KEY, SECRET_KEY, startTestServer, type TestServer } from "./support/server.ts";
import { clientAs, READER, writeUsersFile } from "./support/users.ts";
import { hasCommand } from "./support/clients.ts";

const SHOTS = new URL("../artifacts/screenshots/", import.meta.url).pathname;
const testOpts = { sanitizeOps: false, sanitizeResources: false };

/** Logs in as the administrator; returns the page's uncaught errors so far and to come. */
async function logIn(page: Page, url: string): Promise<string[]> {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${url}/_console/`);
  await page.getByLabel("Access key").fill(ACCESS_KEY);
  await page.getByLabel("Secret key").fill(SECRET_KEY);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Dashboard" }).waitFor();
  return errors;
}

/** Captures the page in the light and the dark theme. */
async function shoot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SHOTS, { recursive: true });
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: `${SHOTS}${name}-${colorScheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** Runs boto3's ListBuckets with a key pair; true when S3 answered it. */
async function boto3Lists(url: string, accessKey: string, secretKey: string): Promise<boolean> {
  const script = [
    "import boto3, sys",
    "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',",
    "  aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])",
    "s3.list_buckets()",
    "print('listed')",
  ].join("\n");
  const out = await new Deno.Command("python3", {
    args: ["-c", script, url, accessKey, secretKey],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).includes("listed");
}

async function withConsole(fn: (t: TestServer, page: Page, errors: string[]) => Promise<void>) {
  const usersFile = await writeUsersFile([READER]);
  const t = await startTestServer({ auth: true, credentialsFile: usersFile });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const errors = await logIn(page, t.url);
    await fn(t, page, errors);
    assert(errors.length === 0, errors.join("\n"));
  } finally {
    await browser.close();
    await t.close();
    await Deno.remove(usersFile.replace(/\/[^/]+$/, ""), { recursive: true });
  }
}

Deno.test(
  "console: the dashboard's numbers are those of ListObjects and the disk",
  testOpts,
  () =>
    withConsole(async (t, page) => {
      const sizes: Record<string, number[]> = { photos: [1000, 2500, 40], archive: [70_000] };
      for (const [Bucket, list] of Object.entries(sizes)) {
        await t.s3.send(new CreateBucketCommand({ Bucket }));
        for (const [i, n] of list.entries()) {
          await t.s3.send(new PutObjectCommand({ Bucket, Key: `k${i}`, Body: new Uint8Array(n) }));
        }
      }
      // A file placed by hand is an object too.
      await Deno.writeTextFile(`${t.dataDir}/photos/by-hand.txt`, "hello");
      await page.getByRole("button", { name: "Dashboard" }).click();
      const dashboard = page.getByRole("region", { name: "Dashboard" });
      await dashboard.getByRole("img", { name: /Requests per second/ }).waitFor();
      for (const Bucket of ["photos", "archive"]) {
        const listed = await t.s3.send(new ListObjectsV2Command({ Bucket }));
        let bytes = 0, files = 0;
        for await (const e of Deno.readDir(`${t.dataDir}/${Bucket}`)) {
          bytes += (await Deno.stat(`${t.dataDir}/${Bucket}/${e.name}`)).size;
          files++;
        }
        const row = dashboard.locator(`tr[data-bucket="${Bucket}"]`);
        assertEquals(
          Number(await row.locator("td[data-objects]").getAttribute("data-objects")),
          listed.KeyCount,
        );
        assertEquals(listed.KeyCount, files);
        assertEquals(Number(await row.locator("td[data-bytes]").getAttribute("data-bytes")), bytes);
      }
      assertEquals(await dashboard.getByLabel("Objects", { exact: true }).textContent(), "5");
      assertEquals(await dashboard.getByLabel("Buckets", { exact: true }).textContent(), "2");
      for (const title of ["Errors per second", "Bytes per second", "Latency (ms)"]) {
        await dashboard.getByRole("img", { name: new RegExp(title.replace(/[()]/g, "\\$&")) })
          .waitFor();
      }
      await shoot(page, "dashboard");
      // Narrow screens: the charts stack and nothing overflows.
      await page.setViewportSize({ width: 390, height: 800 });
      const overflow = await page.evaluate(
        // Runs in the page, where a document exists.
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      ) as number;
      assert(overflow <= 1, `the page is ${overflow}px wider than a phone`);
      await shoot(page, "dashboard-narrow");
    }),
);

Deno.test(
  "console: bucket settings are saved through S3 and refused as S3 refuses",
  testOpts,
  () =>
    withConsole(async (t, page) => {
      await t.s3.send(new CreateBucketCommand({ Bucket: "site" }));
      await page.getByRole("button", { name: "Buckets" }).click();
      await page.getByRole("link", { name: "site" }).click();
      await page.getByRole("button", { name: "Settings" }).click();
      const settings = page.getByRole("region", { name: "Settings" });
      await settings.getByRole("button", { name: "Enable versioning" }).click();
      await settings.getByRole("button", { name: "Suspend versioning" }).waitFor();
      assertEquals(
        (await t.s3.send(new GetBucketVersioningCommand({ Bucket: "site" }))).Status,
        "Enabled",
      );
      // A document S3 refuses: its error beside the setting, nothing stored.
      await settings.getByText("CORS rules (not set)").click();
      const cors = settings.getByLabel("CORS rules document");
      await cors.fill("<CORSConfiguration><CORSRule></CORSRule></CORSConfiguration>");
      await settings.getByRole("button", { name: "Save CORS rules" }).click();
      await settings.getByLabel("CORS rules error").getByText(/MalformedXML/).waitFor();
      await assertS3Error(
        () => t.s3.send(new GetBucketCorsCommand({ Bucket: "site" })),
        "NoSuchCORSConfiguration",
        404,
      );
      await shoot(page, "settings-error");
      await cors.fill(
        "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example</AllowedOrigin>" +
          "<AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>",
      );
      await settings.getByRole("button", { name: "Save CORS rules" }).click();
      await settings.getByText("CORS rules", { exact: true }).waitFor();
      const stored = await t.s3.send(new GetBucketCorsCommand({ Bucket: "site" }));
      assertEquals(stored.CORSRules?.[0].AllowedOrigins, ["https://app.example"]);
      // Shown again as stored; removed with S3's Delete call.
      assert(
        (await settings.getByLabel("CORS rules document").inputValue()).includes("app.example"),
      );
      await settings.getByRole("button", { name: "Remove CORS rules" }).click();
      await settings.getByText("CORS rules (not set)").waitFor();
      await shoot(page, "settings");
    }),
);

Deno.test(
  "console: a user made in the console signs boto3 until its key is rotated",
  testOpts,
  () =>
    withConsole(async (t, page) => {
      assert(hasCommand("python3"), "python3 with boto3 is needed (.ci/run installs it)");
      await page.getByRole("button", { name: "Users" }).click();
      const users = page.getByRole("region", { name: "Users and keys" });
      await users.locator('tr[data-user="reader"]').waitFor();
      await users.getByLabel("Name").fill("console-bot");
      await users.getByLabel("Policy of the new user").fill(JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }],
      }));
      await users.getByRole("button", { name: "Create user" }).click();
      const accessKey = await users.getByLabel("New access key").textContent();
      const secretKey = await users.getByLabel("New secret key").textContent();
      assert(accessKey && secretKey, "the new key is shown");
      await shoot(page, "users");
      assert(await boto3Lists(t.url, accessKey, secretKey), "boto3 signs with the new key");
      page.on("dialog", (d) => d.accept());
      await users.getByRole("button", { name: "Rotate console-bot" }).click();
      await users.getByLabel("New access key").filter({ hasNotText: accessKey }).waitFor();
      const rotatedKey = await users.getByLabel("New access key").textContent();
      const rotatedSecret = await users.getByLabel("New secret key").textContent();
      assert(rotatedKey && rotatedKey !== accessKey, "a new access key");
      assert(!(await boto3Lists(t.url, accessKey, secretKey)), "the rotated key stops working");
      assert(await boto3Lists(t.url, rotatedKey, rotatedSecret!), "the new key works");
      await users.getByRole("button", { name: "Disable console-bot" }).click();
      await users.locator('tr[data-user="console-bot"]').getByText("disabled").waitFor();
      await assertS3Error(
        () =>
          clientAs(t.url, { accessKey: rotatedKey, secretKey: rotatedSecret! }).send(
            new ListBucketsCommand({}),
          ),
        "InvalidAccessKeyId",
        403,
      );
      await users.getByRole("button", { name: "Delete console-bot" }).click();
      await users.locator('tr[data-user="console-bot"]').waitFor({ state: "detached" });
    }),
);

Deno.test(
  "console: activity, and an object's tags and metadata edited",
  testOpts,
  () =>
    withConsole(async (t, page) => {
      await t.s3.send(new CreateBucketCommand({ Bucket: "docs" }));
      await t.s3.send(
        new PutObjectCommand({
          Bucket: "docs",
          Key: "a.txt",
          Body: "alpha",
          ContentType: "text/plain",
        }),
      );
      await assertS3Error(
        () => t.s3.send(new HeadObjectCommand({ Bucket: "docs", Key: "no-such-key" })),
        "NotFound",
        404,
      );
      await page.getByRole("button", { name: "Activity" }).click();
      const activity = page.getByRole("region", { name: "Activity" });
      await activity.getByText("PutObject").first().waitFor();
      await activity.getByLabel("Errors only").check();
      await activity.getByLabel("Filter requests").fill("no-such-key");
      const errorRow = activity.locator("tr.error", { hasText: "no-such-key" });
      await errorRow.first().waitFor();
      assertEquals(await activity.locator("tr:not(.error)", { hasText: "PutObject" }).count(), 0);
      await shoot(page, "activity");
      // The object's details: tags and metadata.
      await page.getByRole("button", { name: "Buckets" }).click();
      await page.getByRole("link", { name: "docs" }).click();
      await page.getByRole("link", { name: "a.txt" }).click();
      await page.getByLabel("Tags (name: value a line)").fill("team: data\nstage: raw");
      await page.getByRole("button", { name: "Save tags" }).click();
      await page.getByText("Saved the tags of a.txt").waitFor();
      const tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: "docs", Key: "a.txt" }));
      assertEquals(
        Object.fromEntries(tags.TagSet!.map((x) => [x.Key, x.Value])),
        { team: "data", stage: "raw" },
      );
      await page.getByLabel("Metadata (name: value a line)").fill("owner: ana");
      await page.getByRole("button", { name: "Save metadata" }).click();
      await page.getByText("Saved the metadata of a.txt").waitFor();
      const head = await t.s3.send(new HeadObjectCommand({ Bucket: "docs", Key: "a.txt" }));
      assertEquals([head.Metadata?.owner, head.ContentType], ["ana", "text/plain"]);
      assertEquals(await Deno.readTextFile(`${t.dataDir}/docs/a.txt`), "alpha");
      await shoot(page, "object");
    }),
);

Deno.test(
  "console: a bucket of 100,000 objects is listed a page at a time",
  testOpts,
  () =>
    withConsole(async (t, page) => {
      await t.s3.send(new CreateBucketCommand({ Bucket: "big" }));
      // Placed by hand, as a user copying files in would: each a plain file of one byte.
      const one = new Uint8Array([120]);
      for (let i = 0; i < 100_000; i++) {
        Deno.writeFileSync(`${t.dataDir}/big/obj-${String(i).padStart(6, "0")}.txt`, one);
      }
      const listings: string[] = [];
      page.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname === "/big" && u.searchParams.get("list-type") === "2") {
          listings.push(u.search);
        }
      });
      await page.getByRole("button", { name: "Buckets" }).click();
      await page.getByRole("link", { name: "big" }).click();
      await page.getByText("200 item(s) (more available)").waitFor({ timeout: 30_000 });
      assertEquals(await page.locator("#object-rows tr").count(), 200);
      assertEquals(listings.length, 1);
      assert(listings[0].includes("max-keys=200"), listings[0]);
      await page.getByRole("button", { name: "Load more" }).click();
      await page.getByText("400 item(s) (more available)").waitFor();
      assertEquals(listings.length, 2);
      await page.getByLabel("Search by prefix").fill("obj-09999");
      await page.getByText("10 item(s)", { exact: true }).waitFor();
      await page.getByRole("button", { name: "Dashboard" }).click();
      const dashboard = page.getByRole("region", { name: "Dashboard" });
      await dashboard.getByLabel("Objects", { exact: true }).getByText("100,000").waitFor({
        timeout: 30_000,
      });
      assertEquals(
        await dashboard.locator('tr[data-bucket="big"] td[data-bytes]').getAttribute("data-bytes"),
        "100000",
      );
    }),
);

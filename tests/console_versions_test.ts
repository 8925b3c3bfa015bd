/**
 * The web console's versions view in headless Chromium: a key's versions and
 * delete markers listed, an old version downloaded, restored as current (a
 * copy) and deleted for good, through the console's own signed S3 calls.
 */
import { launchChromium, openConsoleBucket } from "./support/browser.ts";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "./deps/aws_sdk.ts";
import { raw, serverTest } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { listVersionsRaw } from "./support/versions.ts";

const B = "console-versions";
const text = (s: string) => new TextEncoder().encode(s);

serverTest("console: a key's versions, download, restore and delete one", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  await t.s3.send(
    new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }),
  );
  const ids: string[] = [];
  for (const body of ["first draft", "second draft"]) {
    ids.push(
      (await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "doc.txt", Body: text(body) })))
        .VersionId!,
    );
  }
  await t.s3.send(new PutObjectCommand({ Bucket: B, Key: "gone.txt", Body: text("deleted") }));
  const marker = (await t.s3.send(new DeleteObjectCommand({ Bucket: B, Key: "gone.txt" })))
    .VersionId!;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors = await openConsoleBucket(page, t.url, B);
    // The key's own versions, from its details.
    await page.getByRole("link", { name: "doc.txt" }).click();
    await page.getByRole("button", { name: "Show versions" }).click();
    await page.getByText("2 version(s)").waitFor();
    const versions = page.getByRole("region", { name: "Versions" });
    await versions.getByText(`${ids[1]} (latest)`).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: `Download doc.txt ${ids[0]}` }).click(),
    ]);
    assertEquals(await Deno.readTextFile((await download.path())!), "first draft");
    // Restore the first draft: a copy of it becomes the current version.
    await page.getByRole("button", { name: `Restore doc.txt ${ids[0]}` }).click();
    await page.getByText("3 version(s)").waitFor();
    assertEquals((await raw(`${t.url}/${B}/doc.txt`)).text, "first draft");
    // Every version of the bucket, the deleted key's marker among them; delete the marker.
    await page.getByRole("button", { name: "Versions", exact: true }).click();
    await page.getByText("5 version(s)").waitFor();
    await versions.getByText("delete marker").waitFor();
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: `Delete version gone.txt ${marker}` }).click();
    await page.getByText("4 version(s)").waitFor();
    assertEquals((await raw(`${t.url}/${B}/gone.txt`)).text, "deleted");
    // Delete the oldest version of doc.txt for good.
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: `Delete version doc.txt ${ids[0]}` }).click();
    await page.getByText("3 version(s)").waitFor();
    const left = await listVersionsRaw(t.url, B);
    assert(!left.some((v) => v.id === ids[0] || v.id === marker), JSON.stringify(left));
    assertEquals(left.length, 3);
    assertEquals(pageErrors, []);
  } finally {
    await browser.close();
  }
});

serverTest(
  "console: a version's lock and hold are shown, and a locked delete refused",
  async (t) => {
    const L = "console-locked";
    await t.s3.send(new CreateBucketCommand({ Bucket: L, ObjectLockEnabledForBucket: true }));
    const locked = (await t.s3.send(
      new PutObjectCommand({
        Bucket: L,
        Key: "ledger.txt",
        Body: text("kept"),
        ObjectLockMode: "GOVERNANCE",
        ObjectLockRetainUntilDate: new Date(Date.UTC(2099, 0, 1)),
        ObjectLockLegalHoldStatus: "ON",
      }),
    )).VersionId!;
    const free = (await t.s3.send(
      new PutObjectCommand({ Bucket: L, Key: "ledger.txt", Body: text("newer") }),
    )).VersionId!;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const pageErrors = await openConsoleBucket(page, t.url, L);
      await page.getByRole("button", { name: "Versions", exact: true }).click();
      await page.getByText("2 version(s)").waitFor();
      const versions = page.getByRole("region", { name: "Versions" });
      const lockedRow = versions.getByRole("row").filter({ hasText: locked });
      await lockedRow.getByText("GOVERNANCE until 2099-01-01 00:00:00 · legal hold").waitFor();
      await versions.getByRole("row").filter({ hasText: free }).getByText("none").waitFor();
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: `Delete version ledger.txt ${locked}` }).click();
      await page.getByText("AccessDenied: Access Denied because object protected by object lock.")
        .waitFor();
      const left = await listVersionsRaw(t.url, L);
      assert(left.some((v) => v.id === locked), JSON.stringify(left));
      assertEquals(pageErrors, []);
    } finally {
      await browser.close();
    }
  },
);

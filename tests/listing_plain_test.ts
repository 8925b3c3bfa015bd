/**
 * Listings of files placed by hand remember their ETags (the MD5 of their
 * bytes) while each file stays the same, and see every change: a rewrite in
 * place of the same size, even with its modification time put back.
 */
import { CreateBucketCommand, ListObjectsV2Command } from "./deps/aws_sdk.ts";
import { assertEquals } from "./support/assert.ts";
import { md5Hex, serverTest } from "./support/server.ts";

const B = "by-hand";

serverTest("a remembered ETag of a hand-placed file follows every rewrite", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const path = `${t.dataDir}/${B}/notes.txt`;
  await Deno.writeTextFile(path, "first version");
  const etag = async () =>
    (await t.s3.send(new ListObjectsV2Command({ Bucket: B }))).Contents?.[0].ETag;
  // Remembered only once the file has stood still (plain_etags.ts's RACY_MS).
  await new Promise((r) => setTimeout(r, 2_100));
  assertEquals(await etag(), `"${await md5Hex("first version")}"`);
  assertEquals(await etag(), `"${await md5Hex("first version")}"`, "from memory");
  // The same size, written in place, the modification time put back: still seen.
  const { mtime } = await Deno.stat(path);
  const file = await Deno.open(path, { write: true });
  await file.write(new TextEncoder().encode("other version"));
  file.close();
  await Deno.utime(path, mtime!, mtime!);
  assertEquals((await Deno.stat(path)).mtime, mtime);
  assertEquals(await etag(), `"${await md5Hex("other version")}"`);
  // Replaced by rename, or removed.
  await Deno.writeTextFile(`${path}.tmp`, "third version");
  await Deno.rename(`${path}.tmp`, path);
  assertEquals(await etag(), `"${await md5Hex("third version")}"`);
  await Deno.remove(path);
  assertEquals(await etag(), undefined);
});

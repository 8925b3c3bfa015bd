/** Versioning as aws-cli (s3api) and rclone (--s3-versions) see it, against a geckos3 process. */
import { rcloneEnv, requireCommand, withClientServer } from "./support/clients.ts";
import { assert, assertEquals } from "./support/assert.ts";

Deno.test({
  name: "aws-cli: put-bucket-versioning, list-object-versions, get-object --version-id",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand("aws", "awscli");
  await withClientServer(async (c) => {
    const aws = async (...args: string[]) =>
      (await c.run("aws", ["--endpoint-url", c.url, "--output", "json", ...args])).stdout;
    const api = async (...args: string[]) => {
      const out = await aws("s3api", ...args);
      return out.trim() === "" ? {} : JSON.parse(out);
    };
    await api("create-bucket", "--bucket", "cli-versions");
    await api(
      "put-bucket-versioning",
      "--bucket",
      "cli-versions",
      "--versioning-configuration",
      "Status=Enabled",
    );
    assertEquals(
      (await api("get-bucket-versioning", "--bucket", "cli-versions")).Status,
      "Enabled",
    );
    const ids: string[] = [];
    for (const body of ["first", "second"]) {
      await Deno.writeTextFile(`${c.work}/body.txt`, body);
      const r = await api(
        "put-object",
        "--bucket",
        "cli-versions",
        "--key",
        "doc.txt",
        "--body",
        "body.txt",
      );
      ids.push(r.VersionId);
    }
    const del = await api("delete-object", "--bucket", "cli-versions", "--key", "doc.txt");
    assertEquals(del.DeleteMarker, true);
    const listed = await api("list-object-versions", "--bucket", "cli-versions");
    assertEquals(listed.Versions.map((v: { VersionId: string }) => v.VersionId), [ids[1], ids[0]]);
    assertEquals(listed.Versions.map((v: { IsLatest: boolean }) => v.IsLatest), [false, false]);
    assertEquals(listed.DeleteMarkers.length, 1);
    assertEquals(listed.DeleteMarkers[0].VersionId, del.VersionId);
    assertEquals(listed.DeleteMarkers[0].IsLatest, true);
    // Paged by the CLI itself, one entry a page.
    const paged = await api("list-object-versions", "--bucket", "cli-versions", "--page-size", "1");
    assertEquals(paged.Versions.length + paged.DeleteMarkers.length, 3);
    const got = await api(
      "get-object",
      "--bucket",
      "cli-versions",
      "--key",
      "doc.txt",
      "--version-id",
      ids[0],
      "old.txt",
    );
    assertEquals(got.VersionId, ids[0]);
    assertEquals(await Deno.readTextFile(`${c.work}/old.txt`), "first");
    const missing = await c.run(
      "aws",
      [
        "--endpoint-url",
        c.url,
        "s3api",
        "get-object",
        "--bucket",
        "cli-versions",
        "--key",
        "doc.txt",
        "x",
      ],
      { allowFailure: true },
    );
    assert(missing.code !== 0 && missing.stderr.includes("NoSuchKey"), missing.stderr);
  });
});

Deno.test({
  name: "rclone: --s3-versions lists old versions beside the current files",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireCommand("rclone", "rclone");
  requireCommand("aws", "awscli");
  await withClientServer(async (c) => {
    const env = rcloneEnv(c.url, c.work);
    const rclone = (...args: string[]) => c.run("rclone", args, { env });
    await rclone("mkdir", "gecko:rc-versions");
    await c.run("aws", [
      "--endpoint-url",
      c.url,
      "s3api",
      "put-bucket-versioning",
      "--bucket",
      "rc-versions",
      "--versioning-configuration",
      "Status=Enabled",
    ]);
    for (const body of ["one", "two", "three"]) {
      await Deno.writeTextFile(`${c.work}/notes.txt`, body);
      await rclone("copyto", "notes.txt", "gecko:rc-versions/notes.txt");
    }
    const current = (await rclone("lsf", "gecko:rc-versions")).stdout.trim().split("\n");
    assertEquals(current, ["notes.txt"]);
    const all = (await rclone("lsf", "--s3-versions", "gecko:rc-versions")).stdout.trim().split(
      "\n",
    )
      .sort();
    assertEquals(all.length, 3, all.join(" "));
    assert(all.includes("notes.txt"), all.join(" "));
    const old = all.filter((f) => /^notes-v\d{4}-\d\d-\d\d-\d{6}-\d{3}\.txt$/.test(f));
    assertEquals(old.length, 2, all.join(" "));
    const bodies = await Promise.all(
      old.map(async (f) => (await rclone("cat", "--s3-versions", `gecko:rc-versions/${f}`)).stdout),
    );
    assertEquals(bodies.sort(), ["one", "two"]);
  });
});

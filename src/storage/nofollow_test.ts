import assert from "node:assert/strict";
import { LinkCheck } from "./nofollow.ts";

Deno.test("LinkCheck.readWhole: a file's bytes and the FileInfo Deno.statSync gives, never through a link", async () => {
  const root = await Deno.makeTempDir();
  const check = new LinkCheck(root);
  try {
    await Deno.mkdir(`${root}/bkt/dir`, { recursive: true });
    await Deno.writeTextFile(`${root}/bkt/dir/k`, "hello");
    await Deno.writeTextFile(`${root}/outside`, "secret");
    await Deno.symlink(`${root}/outside`, `${root}/bkt/link`);
    await Deno.symlink(`${root}/bkt/dir`, `${root}/bkt/dirlink`);
    await Deno.symlink(`${root}/bkt`, `${root}/bucketlink`); // a bucket may itself be a link
    const read = check.readWhole("bkt", ["dir", "k"], { maxBytes: 100 });
    if (read === null) {
      assert.notEqual(Deno.build.os, "linux", "openat2 serves every Linux this runs on");
      return;
    }
    assert.equal(read.kind, "file");
    if (read.kind !== "file") return;
    assert.equal(new TextDecoder().decode(read.bytes), "hello");
    const want = Deno.statSync(`${root}/bkt/dir/k`);
    for (const field of ["size", "ino", "dev", "mode", "nlink", "uid", "gid", "isFile"] as const) {
      assert.equal(read.info[field], want[field], field);
    }
    assert.equal(read.info.mtime?.getTime(), want.mtime?.getTime());
    assert.equal(read.info.isDirectory, false);
    assert.deepEqual(check.readWhole("bkt", ["dir", "k"], { maxBytes: 4 }), { kind: "large" });
    const described = check.readWhole("bkt", ["dir", "k"], { maxBytes: 4, describeLarger: true });
    assert.equal(described?.kind === "file" && described.bytes, undefined, "described, not read");
    assert.equal(described?.kind === "file" && described.info.size, 5);
    assert.deepEqual(check.readWhole("bkt", ["dir"], { maxBytes: 100 }), { kind: "directory" });
    assert.deepEqual(check.readWhole("bkt", ["absent"], { maxBytes: 100 }), { kind: "none" });
    assert.deepEqual(check.readWhole("bkt", ["dir", "k", "below"], { maxBytes: 100 }), {
      kind: "none",
    });
    assert.deepEqual(check.readWhole("bkt", ["link"], { maxBytes: 100 }), { kind: "none" });
    assert.deepEqual(check.readWhole("bkt", ["dirlink", "k"], { maxBytes: 100 }), { kind: "none" });
    const viaBucketLink = check.readWhole("bucketlink", ["dir", "k"], { maxBytes: 100 });
    assert.equal(viaBucketLink?.kind, "file");
  } finally {
    check.close();
    await Deno.remove(root, { recursive: true });
  }
});

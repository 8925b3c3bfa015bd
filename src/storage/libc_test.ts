import assert from "node:assert/strict";
import { libc, readSmallFile, surelyAbsent, surelyMissing } from "./libc.ts";

Deno.test("surelyMissing: true only where nothing is, through libc on Linux", async () => {
  if (Deno.build.os === "linux") assert.notEqual(libc(), null);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "x");
    assert.equal(surelyMissing(`${dir}/file`), false);
    assert.equal(surelyMissing(dir), false);
    assert.equal(surelyMissing(`${dir}/absent`), Deno.build.os === "linux");
    assert.equal(surelyMissing(`${dir}/file/below`), Deno.build.os === "linux");
    assert.equal(surelyMissing(`${dir}/é ü/%2F`), Deno.build.os === "linux");
    await Deno.writeTextFile(`${dir}/é ü`, "x");
    assert.equal(surelyMissing(`${dir}/é ü`), false, "UTF-8 names reach libc intact");
    assert.equal(surelyMissing(`${dir}/file\0/absent`), false, "a NUL is never cut short");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** What opening `path` does: "NotFound", another error's name, or "opened". */
function opening(path: string): string {
  try {
    Deno.openSync(path).close();
    return "opened";
  } catch (e) {
    return (e as Error).name;
  }
}

Deno.test("surelyAbsent: only where opening throws NotFound, and for every missing key of a directory", async () => {
  const linux = Deno.build.os === "linux";
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "x");
    await Deno.mkdir(`${dir}/sub`);
    await Deno.mkdir(`${dir}/closed`);
    await Deno.chmod(`${dir}/closed`, 0o600); // not searchable, except by root
    const paths = [
      `${dir}/absent`,
      `${dir}/sub/absent`,
      `${dir}/file`,
      `${dir}/sub`,
      `${dir}/file/below`, // a file as the parent: NotADirectory
      `${dir}/gone/absent`, // a missing parent
      `${dir}/closed/absent`, // PermissionDenied, or NotFound for root
    ];
    for (const path of paths) {
      // Never wrong: an absent answer is always opening's NotFound (never a hidden error).
      if (surelyAbsent(path)) assert.equal(opening(path), "NotFound", path);
    }
    // And it answers the common misses: a missing key in a bucket or in a "folder".
    assert.equal(surelyAbsent(`${dir}/absent`), linux);
    assert.equal(surelyAbsent(`${dir}/sub/absent`), linux);
    assert.equal(surelyAbsent(`${dir}/file\0/absent`), false, "a NUL is never cut short");
  } finally {
    await Deno.chmod(`${dir}/closed`, 0o700).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSmallFile: a file's bytes whole, null where nothing is, undefined to ask Deno", async () => {
  const linux = Deno.build.os === "linux";
  const dir = await Deno.makeTempDir();
  try {
    const big = "x".repeat(20_000) + "é"; // past the reused 8 KiB buffer
    await Deno.writeTextFile(`${dir}/big`, big);
    await Deno.writeTextFile(`${dir}/small`, "{}");
    await Deno.writeTextFile(`${dir}/empty`, "");
    await Deno.mkdir(`${dir}/sub`);
    const text = (b: Uint8Array | null | undefined) => b && new TextDecoder().decode(b);
    if (!linux) return;
    assert.equal(text(readSmallFile(`${dir}/big`)), big);
    assert.equal(
      text(readSmallFile(`${dir}/small`)),
      "{}",
      "no bytes left over from the last read",
    );
    assert.equal(readSmallFile(`${dir}/empty`)?.length, 0);
    assert.equal(readSmallFile(`${dir}/absent`), null);
    assert.equal(readSmallFile(`${dir}/small/below`), null);
    assert.equal(readSmallFile(`${dir}/sub`), undefined, "a directory is Deno's to report");
    assert.equal(readSmallFile(`${dir}/small\0x`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { libc, surelyMissing } from "./libc.ts";

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

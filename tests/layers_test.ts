/** The layer check (scripts/layers.ts): the program keeps the rules, and the check catches breaks. */
import { assert, assertEquals } from "./support/assert.ts";
import { checkFilesystemCalls, checkImports } from "../scripts/layers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function runCheck(root: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/layers.ts`, "--root", root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("the program keeps every layer rule", async () => {
  const r = await runCheck(ROOT);
  assertEquals(r.code, 0, r.out);
  assert(r.out.includes("layers: ok"), r.out);
});

Deno.test("an upward import, a cycle and a filesystem call in s3/ each fail the check", async () => {
  const copy = await Deno.makeTempDir({ prefix: "geckos3-layers-" });
  try {
    for (const f of ["main.ts", "deno.json", "deno.lock"]) {
      await Deno.copyFile(`${ROOT}${f}`, `${copy}/${f}`);
    }
    await new Deno.Command("cp", { args: ["-r", `${ROOT}src`, `${copy}/src`] }).output();
    await Deno.symlink(`${ROOT}node_modules`, `${copy}/node_modules`);
    const append = (file: string, line: string) =>
      Deno.writeTextFile(`${copy}/src/${file}`, `\n${line}\n`, { append: true });
    assertEquals((await runCheck(copy)).code, 0, "the copy passes before it is broken");
    await append("storage/keys.ts", 'import "../s3/xml.ts";');
    await append("s3/range.ts", 'import "./objects.ts";');
    await append(
      "s3/range.ts",
      'export const peek = () => Deno.readTextFileSync("/etc/hostname");',
    );
    const r = await runCheck(copy);
    assertEquals(r.code, 1, r.out);
    assert(r.out.includes("storage/keys.ts -> s3/xml.ts: upward import: storage -> s3"), r.out);
    assert(/import cycle/.test(r.out) && r.out.includes("s3/range.ts"), r.out);
    assert(r.out.includes("s3/range.ts:"), r.out);
    assert(r.out.includes("filesystem call outside storage/"), r.out);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("each import rule, on a made-up graph", () => {
  const rules = (from: string, to: string) =>
    checkImports([{ path: from, imports: [to] }, { path: to, imports: [] }]).map((v) => v.rule);
  assertEquals(rules("s3/objects.ts", "storage/mod.ts"), []);
  assertEquals(rules("front/cors.ts", "storage/fs.ts"), [
    "outside storage/, only storage/mod.ts is imported",
  ]);
  assertEquals(rules("auth/mod.ts", "storage/mod.ts"), ["auth/ imports neither s3/ nor storage/"]);
  assertEquals(rules("auth/mod.ts", "s3/xml.ts"), [
    "upward import: auth -> s3",
    "auth/ imports neither s3/ nor storage/",
  ]);
  assertEquals(rules("storage/fs.ts", "config/mod.ts"), [
    "storage/ imports only storage/, checksum/, errors.ts and log.ts",
  ]);
  assertEquals(rules("log.ts", "../tests/support/assert.ts"), ["src/ never imports tests/"]);
  assertEquals(rules("storage/fs_test.ts", "../tests/support/assert.ts"), []);
  assertEquals(rules("front/handler.ts", "router/router.ts"), []);
  assertEquals(rules("router/router.ts", "front/handler.ts"), ["upward import: router -> front"]);
  const calls = checkFilesystemCalls(
    new Map([
      ["s3/objects.ts", "const x = 1;\nawait Deno.readFile(p);"],
      ["storage/reads.ts", "Deno.openSync(path)"],
      ["config/files.ts", "await Deno.readTextFile(path)"],
      ["front/x.ts", 'import { readFileSync } from "node:fs";'],
    ]),
  );
  assertEquals(calls.map((c) => c.from), ["s3/objects.ts:2", "front/x.ts:1"]);
});

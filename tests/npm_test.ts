/**
 * `npx geckos3`: the npm packages the release lays out (--npm), packed with
 * `npm pack` and installed as npm would (the launcher and this platform's
 * binary package), run with a stand-in binary: no compile, no registry.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { npmPackageName, TARGETS } from "../scripts/release.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function run(cmd: string[], opts: { cwd?: string } = {}) {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: opts.cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The release target of this machine, in Node's names. */
const here = TARGETS.find((t) =>
  t.npm.os === (Deno.build.os === "windows" ? "win32" : Deno.build.os) &&
  t.npm.cpu === (Deno.build.arch === "x86_64" ? "x64" : "arm64")
)!;
const PKG = npmPackageName(here);

Deno.test("release --npm: npm pack, installed, and npx geckos3 runs this platform's binary", async () => {
  const work = await Deno.makeTempDir({ prefix: "geckos3-npm-" });
  try {
    // A stand-in compiler whose "binary" echoes its arguments and exits with the code asked.
    const fake = `${work}/fake-compile.sh`;
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\nprintf '#!/bin/sh\\necho "stand-in $1: $*"\\nexit \${GECKOS3_STAND_IN_EXIT:-0}\\n' > "$2"\n`,
    );
    await Deno.chmod(fake, 0o755);
    const out = `${work}/dist`;
    const release = await run([
      Deno.execPath(),
      "run",
      "--allow-all",
      `${ROOT}scripts/release.ts`,
      "7.8.9",
      "--out",
      out,
      "--targets",
      here.name,
      "--compiler",
      fake,
      "--npm",
    ]);
    assertEquals(release.code, 0, release.stderr);
    const launcher = JSON.parse(await Deno.readTextFile(`${out}/npm/geckos3/package.json`));
    assertEquals(launcher.bin, { geckos3: "bin/geckos3.js" });
    assertEquals(Object.keys(launcher.optionalDependencies).sort(), [
      "@geckos3/darwin-arm64",
      "@geckos3/darwin-x64",
      "@geckos3/linux-arm64",
      "@geckos3/linux-x64",
      "@geckos3/win32-x64",
    ]);
    assert(Object.values(launcher.optionalDependencies).every((v) => v === "7.8.9"));
    const platform = JSON.parse(
      await Deno.readTextFile(`${out}/npm/${PKG}/package.json`),
    );
    assertEquals([platform.os, platform.cpu, platform.version], [
      [here.npm.os],
      [here.npm.cpu],
      "7.8.9",
    ]);
    // npm pack each package, then install them where npm would put them.
    const modules = `${work}/project/node_modules`;
    for (const pkg of ["geckos3", PKG]) {
      const packed = await run(["npm", "pack", "--pack-destination", work], {
        cwd: `${out}/npm/${pkg}`,
      });
      assertEquals(packed.code, 0, packed.stderr);
      const tgz = `${work}/${packed.stdout.trim().split("\n").at(-1)}`;
      await Deno.mkdir(`${modules}/${pkg}`, { recursive: true });
      const x = await run(["tar", "-xzf", tgz, "-C", `${modules}/${pkg}`, "--strip-components=1"]);
      assertEquals(x.code, 0, x.stderr);
    }
    const bin = `${modules}/geckos3/bin/geckos3.js`;
    assert((await Deno.stat(`${modules}/${PKG}/${here.binary}`)).mode! & 0o100, "executable");
    const ran = await run(["node", bin, "-version"], { cwd: `${work}/project` });
    assertEquals([ran.code, ran.stdout], [0, "stand-in -version: -version\n"]);
    const failing = await new Deno.Command("node", {
      args: [bin, "-listen", ":9"],
      env: { GECKOS3_STAND_IN_EXIT: "3" },
      stdout: "null",
    }).output();
    assertEquals(failing.code, 3);
    // Without its platform package the launcher says what to do.
    await Deno.remove(`${modules}/@geckos3`, { recursive: true });
    const missing = await run(["node", bin, "-version"]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes(`${PKG} is not installed`), missing.stderr);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

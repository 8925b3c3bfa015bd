/** The release script up to (and around) `deno compile`: names, contents, checksums, version injection, failures. */
import { createHash } from "node:crypto";
import { assert, assertEquals } from "./support/assert.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SCRIPT = `${ROOT}scripts/release.ts`;
const NAMES = ["Linux_x86_64", "Linux_arm64", "Darwin_x86_64", "Darwin_arm64", "Windows_x86_64"];

async function release(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function tarList(path: string): Promise<string[]> {
  const out = await new Deno.Command("tar", { args: ["-tzf", path], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim().split("\n").sort();
}

Deno.test("release --dry-run: one archive per OS/arch with the exact names, contents and SHA-256 checksums", async () => {
  const out = await Deno.makeTempDir();
  const before = await Deno.readTextFile(`${ROOT}src/version.ts`);
  try {
    const r = await release(["1.2.3", "--dry-run", "--out", out]);
    assertEquals(r.code, 0, r.stderr);
    const files = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort();
    assertEquals(files, [...NAMES.map((n) => `geckos3_1.2.3_${n}.tar.gz`), "checksums.txt"].sort());
    for (const n of NAMES) {
      const binary = n.startsWith("Windows") ? "geckos3.exe" : "geckos3";
      assertEquals(
        await tarList(`${out}/geckos3_1.2.3_${n}.tar.gz`),
        ["LICENSE", "README.md", binary].sort(),
      );
    }
    const sums = (await Deno.readTextFile(`${out}/checksums.txt`)).trim().split("\n");
    assertEquals(sums.length, 5);
    for (const line of sums) {
      const [hash, name] = line.split("  ");
      assertEquals(
        hash,
        createHash("sha256").update(await Deno.readFile(`${out}/${name}`)).digest("hex"),
        name,
      );
    }
    assertEquals(
      await Deno.readTextFile(`${ROOT}src/version.ts`),
      before,
      "the working tree is untouched",
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("release injects version, commit and date: the built program's -version prints them", async () => {
  const out = await Deno.makeTempDir();
  // A stand-in compiler: runs the prepared sources' -version and stores the output as the "binary".
  const fake = `${out}/fake-compile.sh`;
  await Deno.writeTextFile(
    fake,
    `#!/bin/sh\n"${Deno.execPath()}" run --allow-all main.ts -version > "$2"\n`,
  );
  await Deno.chmod(fake, 0o755);
  try {
    const r = await release([
      "4.5.6",
      "--out",
      out,
      "--targets",
      "Linux_x86_64",
      "--compiler",
      fake,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const x = await new Deno.Command("tar", {
      args: ["-xzf", `${out}/geckos3_4.5.6_Linux_x86_64.tar.gz`, "-C", out],
    }).output();
    assert(x.success);
    const version = await Deno.readTextFile(`${out}/geckos3`);
    const commit = new TextDecoder().decode(
      (await new Deno.Command("git", {
        args: ["rev-parse", "--short=12", "HEAD"],
        cwd: ROOT,
        stdout: "piped",
      }).output()).stdout,
    ).trim();
    assert(
      new RegExp(
        `^geckos3 4\\.5\\.6 \\(commit ${
          commit || "unknown"
        }, built \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z\\)\\n$`,
      ).test(version),
      version,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("release fails with a clear message when the compile runtime cannot be downloaded", async () => {
  const out = await Deno.makeTempDir();
  const fake = `${out}/offline.sh`;
  await Deno.writeTextFile(
    fake,
    `#!/bin/sh\necho "error: Writing deno compile executable: failed to download from https://dl.deno.land/release" >&2\nexit 1\n`,
  );
  await Deno.chmod(fake, 0o755);
  try {
    const r = await release([
      "1.0.0",
      "--out",
      out,
      "--targets",
      "Darwin_arm64",
      "--compiler",
      fake,
    ]);
    assertEquals(r.code, 1);
    assert(
      r.stderr.includes("could not be downloaded") && r.stderr.includes("internet access"),
      r.stderr,
    );
    const unknown = await release(["1.0.0", "--out", out, "--targets", "Plan9_mips", "--dry-run"]);
    assertEquals(unknown.code, 2);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the compiled binary embeds only the runtime packages, never the tests' ones", async () => {
  // `deno compile` normally downloads its runtime (denort); DENORT_BIN points it at a local file
  // instead. Any executable will do here: the binary is not run, only its embedded file list read.
  const out = await Deno.makeTempDir();
  try {
    await Deno.copyFile(Deno.execPath(), `${out}/denort`);
    const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.compile;
    const args = task.split(/\s+/).slice(1).map((a) => a === "dist/geckos3" ? `${out}/geckos3` : a);
    const r = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { DENORT_BIN: `${out}/denort`, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assert(r.success && text.includes("Embedded Files"), text);
    for (const runtime of ["fast-xml-parser", "hash-wasm", "@fastify/busboy"]) {
      assert(text.includes(runtime), `${runtime} is not embedded:\n${text}`);
    }
    for (const testOnly of ["@aws-sdk", "playwright", "minio", "@smithy"]) {
      assert(!text.includes(testOnly), `${testOnly} is embedded:\n${text}`);
    }
    // The Dockerfile compiles with the same npm flags.
    const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
    assert(dockerfile.includes("--node-modules-dir=none --exclude-unused-npm"), dockerfile);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("`deno task start` on a fresh machine fetches only the runtime packages", async () => {
  // The tests' packages (the AWS SDK, minio, playwright-core: about 50 MB) are pinned in
  // tests/deno.lock; `deno task` installs every package of deno.lock before it runs a task, so
  // deno.lock holds only what the server imports. A fresh tree and a fresh DENO_DIR seeded with
  // just those packages, and no network: fetching anything else fails the start.
  const lock = JSON.parse(await Deno.readTextFile(`${ROOT}deno.lock`));
  const runtime = runtimePackages(lock);
  assertEquals(
    new Set(Object.keys(lock.npm).map((id) => id.replace(/@[^@]+$/, ""))),
    runtime,
    "deno.lock holds a package the server does not import: run the tests with `deno task test`",
  );
  const tree = await Deno.makeTempDir({ prefix: "geckos3-fresh-" });
  try {
    for (const f of ["main.ts", "deno.json", "deno.lock"]) {
      await Deno.copyFile(`${ROOT}${f}`, `${tree}/${f}`);
    }
    await new Deno.Command("cp", { args: ["-r", `${ROOT}src`, `${tree}/src`] }).output();
    const cache = await npmCache();
    const seeded = `${tree}/deno-dir/npm/registry.npmjs.org`;
    for (const name of runtime) {
      await Deno.mkdir(`${seeded}/${name}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await new Deno.Command("cp", { args: ["-r", `${cache}/${name}`, `${seeded}/${name}`] })
        .output();
    }
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "start", `-listen=127.0.0.1:${port}`, `-data-dir=${tree}/data`, "-workers=1"],
      cwd: tree,
      env: {
        DENO_DIR: `${tree}/deno-dir`,
        HTTPS_PROXY: "http://127.0.0.1:9", // nothing listens there: no download can succeed
        HTTP_PROXY: "http://127.0.0.1:9",
      },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let up = false;
    try {
      for (let i = 0; i < 300 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/health`).then(async (r) => {
          await r.body?.cancel();
          return r.ok;
        }, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      if (up) child.kill("SIGTERM");
      const { stderr } = await child.output();
      assert(up, `the server did not start:\n${new TextDecoder().decode(stderr).slice(0, 2000)}`);
    }
  } finally {
    await Deno.remove(tree, { recursive: true });
  }
});

/** Where Deno keeps the npm packages of registry.npmjs.org on this machine. */
async function npmCache(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  return `${JSON.parse(new TextDecoder().decode(out.stdout)).npmCache}/registry.npmjs.org`;
}

/** The npm packages the program needs: deno.json's imports and what they depend on, by deno.lock. */
function runtimePackages(
  lock: {
    workspace: { dependencies: string[] };
    specifiers: Record<string, string>;
    npm: Record<string, { dependencies?: string[] }>;
  },
): Set<string> {
  const names = new Set<string>();
  const byName = new Map(Object.keys(lock.npm).map((id) => [id.replace(/@[^@]+$/, ""), id]));
  const visit = (id: string) => {
    const name = id.replace(/@[^@]+$/, "");
    if (names.has(name)) return;
    names.add(name);
    for (const dep of lock.npm[id]?.dependencies ?? []) visit(byName.get(dep) ?? dep);
  };
  for (const spec of lock.workspace.dependencies) {
    const name = spec.replace(/^npm:/, "").replace(/@[^@]+$/, "");
    visit(`${name}@${lock.specifiers[spec]}`);
  }
  return names;
}

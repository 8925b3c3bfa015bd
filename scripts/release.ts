/**
 * Builds the release archives: `deno compile` for each target, packed as
 * `geckos3_<version>_<OS>_<arch>.tar.gz` with the binary, README.md and
 * LICENSE, plus `checksums.txt` (SHA-256), in the original's layout.
 *
 *   deno task release [version] [--out dist] [--targets Linux_x86_64,...]
 *                     [--dry-run] [--compiler <command>] [--npm]
 *
 * Version, commit and build date are injected into a copy of the sources
 * (src/version.ts rewritten there; the working tree is never touched). `--dry-run` writes a
 * placeholder instead of compiling; `--compiler` replaces `deno compile`
 * with another command (tests use both). Compiling needs the network: Deno
 * downloads each target's runtime from dl.deno.land. `--npm` also lays out
 * the npm packages in `<out>/npm`: `geckos3` (a small launcher, npm/bin/)
 * and one `@geckos3/<os>-<cpu>` per target carrying its binary, which the
 * launcher's optional dependencies pull in (as esbuild's do); the release
 * workflow publishes them.
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";

/** A release target: archive naming and the `deno compile --target` triple. */
export interface Target {
  /** `Linux_x86_64`-style name used in the archive. */
  name: string;
  /** Deno's target triple. */
  triple: string;
  /** Binary file name inside the archive. */
  binary: string;
  /** Node's names of the platform (`process.platform`, `process.arch`), for npm. */
  npm: { os: string; cpu: string };
}

/** Every release target, in the original's naming. */
export const TARGETS: readonly Target[] = [
  {
    name: "Linux_x86_64",
    triple: "x86_64-unknown-linux-gnu",
    binary: "geckos3",
    npm: { os: "linux", cpu: "x64" },
  },
  {
    name: "Linux_arm64",
    triple: "aarch64-unknown-linux-gnu",
    binary: "geckos3",
    npm: { os: "linux", cpu: "arm64" },
  },
  {
    name: "Darwin_x86_64",
    triple: "x86_64-apple-darwin",
    binary: "geckos3",
    npm: { os: "darwin", cpu: "x64" },
  },
  {
    name: "Darwin_arm64",
    triple: "aarch64-apple-darwin",
    binary: "geckos3",
    npm: { os: "darwin", cpu: "arm64" },
  },
  {
    name: "Windows_x86_64",
    triple: "x86_64-pc-windows-msvc",
    binary: "geckos3.exe",
    npm: { os: "win32", cpu: "x64" },
  },
];

const ROOT = new URL("..", import.meta.url).pathname;
/** What a build needs from the repository. */
const SOURCES = ["main.ts", "deno.json", "deno.lock", "src"];

/** The archive file name of a target. */
export function archiveName(version: string, target: Target): string {
  return `geckos3_${version}_${target.name}.tar.gz`;
}

/**
 * Modules a compiled binary needs beyond what main.ts imports: the server
 * threads, which are loaded with `new Worker(...)` (deno.json's
 * compile task and the Dockerfile name them too).
 */
export const COMPILE_INCLUDES: readonly string[] = ["src/front/worker.ts"];

/**
 * Embed only the npm packages the program imports. Without these flags `deno compile` embeds the
 * whole local node_modules (a developer's holds the test packages, about 35 MB more); see
 * denoland/deno#21504 and the `--exclude-unused-npm` flag that closed it. The compile task and the
 * Dockerfile pass the same flags.
 */
export const COMPILE_NPM_FLAGS: readonly string[] = [
  "--node-modules-dir=none",
  "--exclude-unused-npm",
];

/** The runtime flags (permissions and V8 flags): exactly those of the `start` task in deno.json. */
export function runtimeFlags(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  return (config.tasks.start as string).split(/\s+/).filter((a) =>
    a.startsWith("--allow-") || a.startsWith("--unstable-") || a.startsWith("--v8-flags=")
  );
}

/** src/version.ts with the given build information. */
export function versionSource(
  original: string,
  info: { version: string; commit: string; date: string },
): string {
  return original
    .replace(
      /export const VERSION = ".*";/,
      `export const VERSION = ${JSON.stringify(info.version)};`,
    )
    .replace(/export const COMMIT = ".*";/, `export const COMMIT = ${JSON.stringify(info.commit)};`)
    .replace(
      /export const BUILD_DATE = ".*";/,
      `export const BUILD_DATE = ${JSON.stringify(info.date)};`,
    );
}

async function git(...args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (!info.isDirectory) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) await copyTree(join(from, e.name), join(to, e.name));
}

/** A copy of the sources with the build information injected. */
async function prepareSources(
  stage: string,
  info: { version: string; commit: string; date: string },
): Promise<string> {
  const dir = join(stage, "src-copy");
  await Deno.mkdir(dir);
  for (const s of SOURCES) await copyTree(join(ROOT, s), join(dir, s));
  await Deno.symlink(join(ROOT, "node_modules"), join(dir, "node_modules")).catch(() => {});
  const versionFile = join(dir, "src", "version.ts");
  await Deno.writeTextFile(versionFile, versionSource(await Deno.readTextFile(versionFile), info));
  return dir;
}

async function run(cmd: string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { ok: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) h.update(chunk);
  return h.digest("hex");
}

/** Builds the archives and checksums; returns the archive paths. */
export async function release(opts: {
  version: string;
  out: string;
  targets: readonly Target[];
  dryRun: boolean;
  compiler?: string;
  /** Lay out the npm packages too (in `<out>/npm`). */
  npm?: boolean;
}): Promise<string[]> {
  const commit = (await git("rev-parse", "--short=12", "HEAD")) ?? "unknown";
  const date = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  await Deno.mkdir(opts.out, { recursive: true });
  const stage = await Deno.makeTempDir({ prefix: "geckos3-release-" });
  const archives: string[] = [];
  try {
    const sources = await prepareSources(stage, { version: opts.version, commit, date });
    for (const target of opts.targets) {
      const dir = join(stage, target.name);
      await Deno.mkdir(dir);
      const binary = join(dir, target.binary);
      console.log(`building ${target.name} (${target.triple})`);
      if (opts.dryRun) {
        await Deno.writeTextFile(binary, `dry run: geckos3 ${opts.version} for ${target.triple}\n`);
      } else {
        const cmd = opts.compiler ? [...opts.compiler.split(" "), target.triple, binary] : [
          Deno.execPath(),
          "compile",
          ...runtimeFlags(),
          ...COMPILE_NPM_FLAGS,
          "--target",
          target.triple,
          ...COMPILE_INCLUDES.flatMap((f) => ["--include", f]),
          "--output",
          binary,
          "main.ts",
        ];
        const r = await run(cmd, sources);
        if (!r.ok) {
          const offline = /download|dl\.deno\.land|dns|connect|network|timed out/i.test(r.output);
          throw new Error(
            `deno compile failed for ${target.triple}` +
              (offline
                ? ": the Deno runtime for this target could not be downloaded (deno compile fetches it from dl.deno.land). Run the release on a machine with internet access."
                : "") +
              `\n${r.output.trim()}`,
          );
        }
      }
      for (const extra of ["README.md", "LICENSE"]) {
        await Deno.copyFile(join(ROOT, extra), join(dir, extra));
      }
      const archive = join(opts.out, archiveName(opts.version, target));
      const tar = await run([
        "tar",
        "-czf",
        archive,
        "-C",
        dir,
        target.binary,
        "README.md",
        "LICENSE",
      ], ROOT);
      if (!tar.ok) throw new Error(`tar failed: ${tar.output}`);
      archives.push(archive);
      if (opts.npm) {
        await npmPlatformPackage({ out: opts.out, version: opts.version, target, binary });
      }
    }
    if (opts.npm) await npmLauncherPackage(opts.out, opts.version);
    const lines = await Promise.all(
      archives.map(async (a) => `${await sha256File(a)}  ${basename(a)}`),
    );
    await Deno.writeTextFile(join(opts.out, "checksums.txt"), lines.join("\n") + "\n");
    return archives;
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

/** The npm package name of a target's binary. */
export function npmPackageName(target: Target): string {
  return `@geckos3/${target.npm.os}-${target.npm.cpu}`;
}

const NPM_COMMON = {
  license: "Apache-2.0",
  homepage: "https://github.com/geckos3/geckos3",
  repository: { type: "git", url: "git+https://github.com/geckos3/geckos3.git" },
};

/** `<out>/npm/@geckos3/<os>-<cpu>/`: the binary of one target, for npm. */
async function npmPlatformPackage(
  p: { out: string; version: string; target: Target; binary: string },
): Promise<void> {
  const name = npmPackageName(p.target);
  const dir = join(p.out, "npm", name);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(p.binary, join(dir, p.target.binary));
  await Deno.chmod(join(dir, p.target.binary), 0o755).catch(() => {});
  await writeJson(join(dir, "package.json"), {
    name,
    version: p.version,
    description: `The geckos3 binary for ${p.target.npm.os} ${p.target.npm.cpu}`,
    os: [p.target.npm.os],
    cpu: [p.target.npm.cpu],
    files: [p.target.binary],
    preferUnplugged: true,
    ...NPM_COMMON,
  });
}

/** `<out>/npm/geckos3/`: the launcher, whose optional dependencies are every target's binary. */
async function npmLauncherPackage(out: string, version: string): Promise<void> {
  const dir = join(out, "npm", "geckos3");
  await Deno.mkdir(join(dir, "bin"), { recursive: true });
  await Deno.copyFile(join(ROOT, "npm/bin/geckos3.js"), join(dir, "bin/geckos3.js"));
  await Deno.chmod(join(dir, "bin/geckos3.js"), 0o755).catch(() => {});
  for (const extra of ["README.md", "LICENSE"]) {
    await Deno.copyFile(join(ROOT, extra), join(dir, extra));
  }
  await writeJson(join(dir, "package.json"), {
    name: "geckos3",
    version,
    description: "An S3-compatible server whose buckets are directories and objects plain files",
    bin: { geckos3: "bin/geckos3.js" },
    files: ["bin", "README.md", "LICENSE"],
    engines: { node: ">=16" },
    optionalDependencies: Object.fromEntries(TARGETS.map((t) => [npmPackageName(t), version])),
    keywords: ["s3", "object-storage", "minio", "localstack", "testing", "ci"],
    ...NPM_COMMON,
  });
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: join(ROOT, "dist") },
      targets: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      compiler: { type: "string" },
      npm: { type: "boolean", default: false },
    },
  });
  const described = await git("describe", "--tags", "--always");
  const version = (positionals[0] ?? described ?? "0.0.0-dev").replace(/^v/, "");
  const names = values.targets?.split(",");
  const targets = names ? TARGETS.filter((t) => names.includes(t.name)) : TARGETS;
  if (names && targets.length !== names.length) {
    console.error(`unknown target in --targets; known: ${TARGETS.map((t) => t.name).join(", ")}`);
    Deno.exit(2);
  }
  try {
    const archives = await release({
      version,
      out: values.out!,
      targets,
      dryRun: values["dry-run"]!,
      compiler: values.compiler,
      npm: values.npm,
    });
    for (const a of archives) console.log(a);
    console.log(join(values.out!, "checksums.txt"));
  } catch (e) {
    console.error(`release: ${(e as Error).message}`);
    Deno.exit(1);
  }
}

/**
 * Test support for real command-line clients (aws-cli, rclone, s3cmd,
 * python boto3): a geckos3 child process started the way the README says,
 * with auth on and the default credentials, and a runner for commands.
 */
import { freePort, spawnServer } from "./process.ts";
import { ACCESS_KEY, SECRET_KEY } from "./server.ts";
import { fillPseudoRandom } from "./bytes.ts";

/** Output of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A server for a client test, with a scratch directory. */
export interface ClientEnv {
  /** Endpoint URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Port number. */
  port: number;
  /** The server's data dir. */
  dataDir: string;
  /** A scratch directory for the client's files. */
  work: string;
  /** Environment for clients: credentials, region, endpoint, isolated config. */
  env: Record<string, string>;
  /** Runs a command; throws with its output when it exits non-zero (unless allowFailure). */
  run(
    cmd: string,
    args: string[],
    opts?: { allowFailure?: boolean; stdin?: string; env?: Record<string, string> },
  ): Promise<RunResult>;
}

/** True when `name` resolves on PATH (or is an absolute path that exists). */
export function hasCommand(name: string): boolean {
  try {
    const r = new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * Fails loudly when a client is missing: the suite never skips a client
 * (`.ci/run` installs them with apt).
 */
export function requireCommand(name: string, debianPackage: string): void {
  if (!hasCommand(name)) {
    throw new Error(
      `${name} is not installed: install the Debian package "${debianPackage}" (.ci/run does)`,
    );
  }
}

/**
 * Starts a server (auth on, default credentials, plus `flags`) and runs `fn`
 * against it, cleaning up after.
 */
export async function withClientServer(
  fn: (c: ClientEnv) => Promise<void>,
  flags: string[] = [],
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-client-data-" });
  const work = await Deno.makeTempDir({ prefix: "geckos3-client-work-" });
  const port = await freePort();
  const server = await spawnServer([`-data-dir=${dataDir}`, `-listen=127.0.0.1:${port}`, ...flags]);
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    HOME: work,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: url,
    AWS_CONFIG_FILE: `${work}/aws-config`,
    AWS_SHARED_CREDENTIALS_FILE: `${work}/aws-credentials`,
    AWS_PAGER: "",
    ...(Deno.env.get("PYENV_ROOT") ? { PYENV_ROOT: Deno.env.get("PYENV_ROOT")! } : {}),
  };
  const run: ClientEnv["run"] = async (cmd, args, opts = {}) => {
    const child = new Deno.Command(cmd, {
      args,
      cwd: work,
      env: { ...env, ...opts.env },
      clearEnv: true,
      stdin: opts.stdin !== undefined ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(opts.stdin));
      await w.close();
    }
    const out = await child.output();
    const result = {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
    if (result.code !== 0 && !opts.allowFailure) {
      throw new Error(
        `${cmd} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result;
  };
  try {
    await fn({ url, port, dataDir, work, env, run });
  } finally {
    await server.stop("SIGTERM");
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** Writes `size` pseudo-random bytes to `path` (deterministic for a seed). */
export async function writeRandomFile(path: string, size: number, seed = 1): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(1024 * 1024);
  let state = seed;
  try {
    for (let written = 0; written < size;) {
      state = fillPseudoRandom(block, state);
      const n = Math.min(block.length, size - written);
      let off = 0;
      while (off < n) off += await file.write(block.subarray(off, n));
      written += n;
    }
  } finally {
    file.close();
  }
}

/** True when two files have identical bytes. */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const r = await new Deno.Command("cmp", { args: ["-s", a, b] }).output();
  return r.success;
}

/**
 * The shell snippet under `### <heading>` in the README, pointed at `url`
 * instead of localhost:9000: tests run the README's snippets as written.
 */
export async function readmeSnippet(heading: string, url: string): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const at = readme.indexOf(`### ${heading}\n`);
  if (at < 0) throw new Error(`README has no "### ${heading}" section`);
  const start = readme.indexOf("```sh\n", at) + "```sh\n".length;
  const code = readme.slice(start, readme.indexOf("```", start));
  return code.replaceAll("http://localhost:9000", url).replaceAll(
    "localhost:9000",
    new URL(url).host,
  );
}

/** rclone's remote "gecko" (provider Other) pointed at `url`, configured by environment variables. */
export function rcloneEnv(url: string, work: string): Record<string, string> {
  return {
    RCLONE_CONFIG_GECKO_TYPE: "s3",
    RCLONE_CONFIG_GECKO_PROVIDER: "Other",
    RCLONE_CONFIG_GECKO_ACCESS_KEY_ID: "geckoadmin",
    RCLONE_CONFIG_GECKO_SECRET_ACCESS_KEY: "geckoadmin",
    RCLONE_CONFIG_GECKO_ENDPOINT: url,
    RCLONE_CONFIG_GECKO_REGION: "us-east-1",
    RCLONE_CONFIG: `${work}/rclone.conf`,
  };
}

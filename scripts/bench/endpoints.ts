/** The servers under test: geckos3 started here, s3rver, the Go original, and the ceilings. */
import { BENCH_LIFECYCLE_DAY } from "./lifecycle.ts";
import { runtimeFlags } from "../release.ts";
import type { Bench } from "./context.ts";
import { freePort, waitHealthy } from "./system.ts";
import type { Endpoint } from "./types.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Starts geckos3 with `workers` server threads (`-workers`: a number, or auto). */
export function startGeckos3(b: Bench, workers: string): Promise<Endpoint> {
  return startGeckos3Like(b, {
    name: `geckos3${workers === "auto" ? "" : ` x${workers}`}`,
    command: [Deno.execPath(), "run", ...runtimeFlags(), `${ROOT}main.ts`],
    extra: [
      `-region=${b.signer.region}`,
      `-workers=${workers}`,
      ...(b.usersFile ? [`-credentials-file=${b.usersFile}`] : []),
      ...(b.receiver ? [`-notify-targets=${b.receiver.targets}`] : []),
      // A one-second lifecycle day: the lifecycle scenario's rule is scanned for every 250 ms.
      `-lifecycle-day=${BENCH_LIFECYCLE_DAY}`,
    ],
    fresh: () => startGeckos3(b, workers),
  });
}

/**
 * The original Go geckos3 from its binary (`--peer-go PATH`), with the flags
 * geckos3 gets here: the same credentials, auth on or off, metadata on,
 * fsync off (both servers' defaults).
 */
export function startGo(b: Bench, binary: string): Promise<Endpoint> {
  return startGeckos3Like(b, {
    name: "original (Go)",
    command: [binary],
    extra: [],
    fresh: () => startGo(b, binary),
  });
}

/**
 * Starts a server that takes geckos3's flags (both geckos3s do) on a temp
 * data dir and a free port, with the run's credentials and auth setting.
 */
async function startGeckos3Like(
  b: Bench,
  server: { name: string; command: string[]; extra: string[]; fresh: () => Promise<Endpoint> },
): Promise<Endpoint> {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-bench-" });
  const port = await freePort();
  const [program, ...args] = server.command;
  const child = new Deno.Command(program, {
    args: [
      ...args,
      `-data-dir=${dataDir}`,
      `-listen=127.0.0.1:${port}`,
      `-auth=${b.args.auth}`,
      `-access-key=${b.signer.accessKey}`,
      `-secret-key=${b.signer.secretKey}`,
      ...server.extra,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url);
  if (b.args.auth) b.signers.set(url, b.signer);
  return {
    name: `${server.name}${b.args.auth ? " (auth on)" : ""}`,
    url,
    pid: child.pid,
    dataDir,
    fresh: server.fresh,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** s3rver 3.7.1, installed from npm into a temp folder (`--peer s3rver`). */
export async function startS3rver(b: Bench): Promise<Endpoint> {
  const dir = await Deno.makeTempDir({ prefix: "geckos3-bench-s3rver-" });
  b.progress("installing s3rver from npm ...");
  const install = await new Deno.Command("npm", {
    args: ["install", "--prefix", dir, "--no-audit", "--no-fund", "s3rver@3.7.1"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!install.success) {
    throw new Error(`npm install s3rver failed: ${new TextDecoder().decode(install.stderr)}`);
  }
  const port = await freePort();
  await Deno.mkdir(`${dir}/data`);
  const child = new Deno.Command("node", {
    args: [
      `${dir}/node_modules/s3rver/bin/s3rver.js`,
      "-d",
      `${dir}/data`,
      "-p",
      String(port),
      "-a",
      "127.0.0.1",
      "--silent",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, "/");
  return {
    name: "s3rver",
    url,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * The ceiling: a minimal Deno.serve that streams a file out, and a body into
 * a file. With `md5` it also hashes the body as it passes, the work every PUT
 * needs for its ETag, with the fastest MD5 geckos3 has (src/checksum/md5.ts:
 * OpenSSL's where it loads), called inline as a plain handler would.
 */
export async function startCeiling(dir: string, md5 = false): Promise<Endpoint> {
  const port = await freePort();
  const md5Module = new URL("../../src/checksum/md5.ts", import.meta.url).href;
  const hexModule = new URL("../../src/checksum/mod.ts", import.meta.url).href;
  const code = `
    import { createMd5 } from ${JSON.stringify(md5Module)};
    import { toHex } from ${JSON.stringify(hexModule)};
    Deno.serve({ hostname: "127.0.0.1", port: ${port}, onListen() {} }, async (req) => {
      const path = ${JSON.stringify(dir)} + "/" + new URL(req.url).pathname.replaceAll("/", "_");
      if (req.method === "PUT") {
        const f = await Deno.open(path, { write: true, create: true, truncate: true });
        if (!req.body) f.close();
        else if (${md5}) {
          const h = createMd5();
          await req.body.pipeThrough(new TransformStream({
            transform(chunk, c) { h.update(chunk); c.enqueue(chunk); },
          })).pipeTo(f.writable);
          return new Response(null, { headers: { etag: toHex(h.digest()) } });
        } else await req.body.pipeTo(f.writable);
        return new Response(null);
      }
      if (req.method === "GET" && new URL(req.url).pathname === "/health") return new Response("ok");
      try { return new Response((await Deno.open(path)).readable); } catch { return new Response(null, { status: 404 }); }
    });`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url);
  return {
    name: md5 ? "ceiling + MD5" : "ceiling (bare Deno.serve)",
    url,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

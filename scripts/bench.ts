/**
 * A warp-style benchmark for geckos3 and any other S3 endpoint, side by side
 * in one run.
 *
 *   deno task bench [--duration 10] [--clients 32]
 *                   [--scenarios small,large,listing,multipart,memory]
 *                   [--sizes 4KiB,1MiB] [--ops PUT,GET,HEAD,STAT,DELETE,MIXED]
 *                   [--repeat 1] [--large 1GiB] [--peer s3rver] [--auth[=false]]
 *                   [--workers 1,2]
 *                   [--listing-keys 100000] [--listing-fill auto|server|direct]
 *                   [--endpoint URL --name peer] [--access-key K --secret-key S]
 *                   [--region us-east-1] [--json]
 *
 * By default it starts geckos3 (auth off, temp data dir, its default
 * `-workers auto`) as a child process; `--workers 1,2` starts one geckos3 per
 * listed `-workers` value instead.
 * `--peer s3rver` also installs s3rver from npm into a temp folder and runs
 * it; `--endpoint` adds any running endpoint, sent unsigned requests unless
 * `--access-key` and `--secret-key` are given: then every request to it is
 * presigned (SigV4, `--region`) with them, and the geckos3 started here runs
 * with the same credentials. Small-object scenarios are driven by `wrk`
 * (Debian `wrk`) with keep-alive connections in its own process; large
 * transfers by `curl`.
 * For every scenario it reports ops/s, MB/s, p50/p99 latency, the server's
 * CPU seconds per operation and peak RSS, the load generator's CPU time, and
 * the share of the machine's CPU its hypervisor took meanwhile (steal).
 * `--auth` (or `--auth=true`) runs geckos3 with auth on and drives it with
 * presigned URLs; `--auth=false`, the default, with auth off.
 * `--ops` picks small-object operations; `--repeat N` runs each of them, and
 * the large transfers (against the ceilings too), N times, alternating the
 * endpoints, for ratios measured more than once (each large round keeps its
 * objects until the end: 5 GiB of disk per endpoint and round).
 * Under the table, every geckos3 is compared with every other endpoint that
 * ran the same scenario: its ops/s over theirs, round by round, and the
 * median (scripts/ratios.ts; `ratios` in the `--json` output).
 */
import { parseArgs } from "node:util";
import { runtimeFlags } from "./release.ts";
import { presign, type Signer } from "./presign.ts";
import { serverThreads } from "../src/front/workers.ts";
import { formatRatios, ratios } from "./ratios.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TICK = 100; // clock ticks per second on Linux

interface Endpoint {
  name: string;
  url: string;
  pid: number | null;
  /** Data directory, when this script started the server (listing fills it directly). */
  dataDir?: string;
  stop(): Promise<void>;
  /** Starts a new process of the same server, where this script can (the caller stops this one). */
  fresh?: () => Promise<Endpoint>;
}

interface Result {
  endpoint: string;
  scenario: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  mbPerSec: number;
  p50ms: number | null;
  p99ms: number | null;
  errors: number;
  serverCpuUsPerOp: number | null;
  serverPeakRssMiB: number | null;
  loadCpuSec: number | null;
  /** Share of the machine's CPU time the hypervisor took meanwhile (a noisy neighbour shows here). */
  stealPercent: number | null;
}

/**
 * The arguments, with `--auth=true` and `--auth=false` read as `--auth` and
 * `--no-auth` (parseArgs takes no value for a flag); the last one given wins.
 */
const argv = Deno.args.map((a) => {
  const m = /^--auth=(true|false)$/i.exec(a);
  return m ? (m[1].toLowerCase() === "true" ? "--auth" : "--no-auth") : a;
});

const { values: args } = parseArgs({
  args: argv,
  allowNegative: true,
  options: {
    duration: { type: "string", default: "10" },
    clients: { type: "string", default: "32" },
    scenarios: { type: "string", default: "small,large,listing,multipart,memory" },
    "memory-large": { type: "string", default: "5GiB" },
    sizes: { type: "string", default: "4KiB,1MiB" },
    large: { type: "string", default: "1GiB" },
    peer: { type: "string", multiple: true, default: [] },
    endpoint: { type: "string", multiple: true, default: [] },
    name: { type: "string", multiple: true, default: [] },
    auth: { type: "boolean", default: false },
    "access-key": { type: "string" },
    "secret-key": { type: "string" },
    region: { type: "string", default: "us-east-1" },
    workers: { type: "string", default: "auto" },
    "listing-keys": { type: "string", default: "100000" },
    "listing-fill": { type: "string", default: "auto" },
    ops: { type: "string", default: "PUT,GET,HEAD,STAT,DELETE,MIXED" },
    repeat: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (args.help) {
  // The usage is this file's opening comment.
  const source = await Deno.readTextFile(new URL(import.meta.url));
  const doc = source.slice(source.indexOf("/**") + 3, source.indexOf("*/"));
  console.log(doc.split("\n").map((l) => l.replace(/^ \* ?/, "")).join("\n").trim());
  Deno.exit(0);
}

function parseSize(s: string): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  const unit = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[(m[2] ?? "b").toLowerCase()]!;
  return Number(m[1]) * unit;
}

const DURATION = Number(args.duration);
const CLIENTS = Number(args.clients);
const scenarios = new Set(args.scenarios!.split(","));
const REPEAT = Number(args.repeat);
if (!Number.isInteger(REPEAT) || REPEAT < 1) {
  throw new Error(`--repeat must be a whole number >= 1`);
}

function progress(text: string): void {
  if (!args.json) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${text}`));
}

function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return Promise.resolve(port);
}

async function waitHealthy(url: string, path = "/health"): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      const r = await fetch(url + path);
      await r.body?.cancel();
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

// ------------------------------------------------------------------ process stats

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/**
 * The machine's CPU ticks so far, all cores: the total, and those the
 * hypervisor took (steal, /proc/stat's eighth field); null off Linux.
 */
function machineTicks(): { total: number; steal: number } | null {
  try {
    const cpu = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0].split(/\s+/).slice(1, 9)
      .map(Number);
    return { total: cpu.reduce((a, b) => a + b, 0), steal: cpu[7] };
  } catch {
    return null;
  }
}

function resetPeakRss(pid: number): void {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // not permitted: peak is then since process start
  }
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Measures a scenario's server cost around `fn`. */
async function measured(
  ep: Endpoint,
  fn: () => Promise<
    Omit<
      Result,
      "endpoint" | "serverCpuUsPerOp" | "serverPeakRssMiB" | "scenario" | "stealPercent"
    >
  >,
  scenario: string,
): Promise<Result> {
  progress(`${ep.name}: ${scenario} ...`);
  if (ep.pid) resetPeakRss(ep.pid);
  const before = ep.pid ? cpuTicks(ep.pid) : 0;
  const machineBefore = machineTicks();
  const r = await fn();
  const cpu = ep.pid ? (cpuTicks(ep.pid) - before) / TICK : null;
  const machineAfter = machineTicks();
  const elapsed = machineBefore && machineAfter ? machineAfter.total - machineBefore.total : 0;
  return {
    endpoint: ep.name,
    scenario,
    ...r,
    serverCpuUsPerOp: cpu !== null && r.ops > 0 ? (cpu / r.ops) * 1e6 : null,
    serverPeakRssMiB: ep.pid ? peakRssMiB(ep.pid) : null,
    stealPercent: elapsed > 0
      ? (100 * (machineAfter!.steal - machineBefore!.steal)) / elapsed
      : null,
  };
}

// ---------------------------------------------------------------- endpoints

/** Starts geckos3 with `workers` server threads (`-workers`: a number, or auto). */
async function startGeckos3(workers: string): Promise<Endpoint> {
  const dataDir = await Deno.makeTempDir({ prefix: "geckos3-bench-" });
  const port = await freePort();
  const perms = runtimeFlags();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...perms,
      `${ROOT}main.ts`,
      `-data-dir=${dataDir}`,
      `-listen=127.0.0.1:${port}`,
      `-auth=${args.auth}`,
      `-access-key=${BENCH_SIGNER.accessKey}`,
      `-secret-key=${BENCH_SIGNER.secretKey}`,
      `-region=${BENCH_SIGNER.region}`,
      `-workers=${workers}`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url);
  if (args.auth) signers.set(url, BENCH_SIGNER);
  return {
    name: `geckos3${workers === "auto" ? "" : ` x${workers}`}${args.auth ? " (auth on)" : ""}`,
    url,
    pid: child.pid,
    dataDir,
    fresh: () => startGeckos3(workers),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

async function startS3rver(): Promise<Endpoint> {
  const dir = await Deno.makeTempDir({ prefix: "geckos3-bench-s3rver-" });
  progress("installing s3rver from npm ...");
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

// ------------------------------------------------------------ plain requests

/**
 * The credentials of the run: geckos3 started here runs with them (and its
 * requests are signed with them under --auth), and with --access-key and
 * --secret-key every --endpoint's requests are signed with them too.
 */
const BENCH_SIGNER: Signer = {
  accessKey: args["access-key"] ?? "bench-access",
  secretKey: args["secret-key"] ?? "bench-secret",
  region: args.region!,
};
if ((args["access-key"] === undefined) !== (args["secret-key"] === undefined)) {
  throw new Error("--access-key and --secret-key go together");
}
/** Whether requests to --endpoint URLs are signed (both keys given, as checked above). */
const SIGN_ENDPOINTS = args["access-key"] !== undefined;
/** Signers of the endpoints that require signed requests, by origin. */
const signers = new Map<string, Signer>();
/** What the run could not measure, printed under the table. */
const notes: string[] = [];
/**
 * Fresh keys per wrk thread that PUT and DELETE get presigned URLs for under --auth, scaled to
 * the duration (short runs would otherwise spend longer signing than measuring).
 */
const SIGNED_FRESH_KEYS = Math.min(25_000, Math.ceil(Number(args.duration) * 4_000));
/** Which `--repeat` round runs: PUT and DELETE of round r write and remove keys `w<r>x<thread>-<n>`. */
let round = 1;

/** `rows` named for the `--repeat` round that measured them (` #<round>`, when there are several). */
function inRound(rows: Result[]): Result[] {
  if (REPEAT > 1) { for (const r of rows) r.scenario += ` #${round}`; }
  return rows;
}

/** `url` as its endpoint wants it: presigned for `method` when the endpoint requires auth. */
function authorized(method: string, url: string): string {
  const signer = signers.get(new URL(url).origin);
  return signer ? presign(signer, method, url) : url;
}

async function request(method: string, url: string, body?: BodyInit): Promise<Response> {
  const r = await fetch(authorized(method, url), { method, body });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r;
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

// ------------------------------------------------------------- small objects via wrk

const LUA_COMMON = `
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread) thread_id = thread_id + 1; thread:set("tid", thread_id); table.insert(threads, thread) end
function init(args) math.randomseed(tid * 7919 + os.time()) end
function done(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50":%f,"p99":%f,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`;

/**
 * The wrk script for one operation. For an endpoint that requires auth the
 * requests come from tables of presigned paths: the objects, their listings,
 * and SIGNED_FRESH_KEYS fresh keys per thread for PUT and DELETE.
 */
function luaFor(
  op: string,
  origin: string,
  bucket: string,
  keys: number,
  bodyFile: string,
): string {
  const body = `local f = io.open("${bodyFile}", "rb"); local body = f:read("*all"); f:close()`;
  if (signers.has(origin)) {
    return `${LUA_COMMON}\n${body}\n${signedLua(op, origin, bucket, keys)}\n`;
  }
  const pick = `"/${bucket}/obj-" .. math.random(0, ${keys - 1})`;
  const fresh = `"/${bucket}/w${round}x" .. tid .. "-" .. counter`;
  const lines: Record<string, string> = {
    GET: `request = function() return wrk.format("GET", ${pick}) end`,
    HEAD: `request = function() return wrk.format("HEAD", ${pick}) end`,
    STAT:
      `request = function() return wrk.format("GET", "/${bucket}?list-type=2&max-keys=1&prefix=obj-" .. math.random(0, ${
        keys - 1
      })) end`,
    PUT:
      `request = function() counter = counter + 1; return wrk.format("PUT", ${fresh}, nil, body) end`,
    DELETE: `request = function() counter = counter + 1; return wrk.format("DELETE", ${fresh}) end`,
    MIXED: `request = function()
      local r = math.random(100)
      if r <= 45 then return wrk.format("GET", ${pick})
      elseif r <= 60 then counter = counter + 1; return wrk.format("PUT", ${fresh}, nil, body)
      elseif r <= 90 then return wrk.format("HEAD", ${pick})
      else return wrk.format("DELETE", "/${bucket}/w${round}x" .. tid .. "-" .. math.random(0, counter)) end
    end`,
  };
  return `${LUA_COMMON}\n${body}\n${lines[op]}\n`;
}

/** The request function of a wrk script replaying presigned paths (GET, STAT, PUT, DELETE). */
function signedLua(op: string, origin: string, bucket: string, keys: number): string {
  const path = (method: string, url: string) => {
    const signed = new URL(authorized(method, url));
    return JSON.stringify(signed.pathname + signed.search);
  };
  const table = (items: string[]) => `{\n${items.join(",\n")}\n}`;
  const numbers = (n: number) => [...Array(n).keys()];
  if (op === "GET" || op === "STAT") {
    const url = (i: number) =>
      op === "GET"
        ? `${origin}/${bucket}/obj-${i}`
        : `${origin}/${bucket}?list-type=2&max-keys=1&prefix=obj-${i}`;
    return `local paths = ${table(numbers(keys).map((i) => path("GET", url(i))))}
request = function() return wrk.format("GET", paths[math.random(1, ${keys})]) end`;
  }
  if (op === "PUT" || op === "DELETE") {
    const thread = (tid: number) =>
      table(
        numbers(SIGNED_FRESH_KEYS).map((i) =>
          path(op, `${origin}/${bucket}/w${round}x${tid}-${i + 1}`)
        ),
      );
    return `local paths = { ${thread(1)}, ${thread(2)} }
request = function()
  counter = counter % ${SIGNED_FRESH_KEYS} + 1
  return wrk.format("${op}", paths[tid][counter]${op === "PUT" ? ", nil, body" : ""})
end`;
  }
  throw new Error(`no signed wrk script for ${op}`);
}

/** One load-generator run: operations, duration, latency percentiles (ms), errors, its CPU seconds. */
interface LoadRun {
  ops: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: number;
}

/** User + system CPU seconds reported by `/usr/bin/time -f "TIMECPU %U %S"`. */
function timedCpu(text: string): number {
  const t = /TIMECPU ([\d.]+) ([\d.]+)/.exec(text);
  return t ? Number(t[1]) + Number(t[2]) : NaN;
}

/**
 * Runs a load generator under `/usr/bin/time`; it must print one JSON line
 * (optionally after `WRKJSON `) with requests, duration_us, p50/p99 (µs), errors.
 */
async function runLoad(name: string, cmd: string[]): Promise<LoadRun> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIMECPU %U %S", ...cmd],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const m = /^(?:WRKJSON )?(\{.*\})$/m.exec(text);
  if (!m) throw new Error(`${name} failed: ${text}`);
  const j = JSON.parse(m[1]);
  return {
    ops: j.requests,
    seconds: j.duration_us / 1e6,
    p50: j.p50 / 1000,
    p99: j.p99 / 1000,
    errors: j.errors,
    cpu: timedCpu(text),
  };
}

async function runWrk(url: string, lua: string, seconds = DURATION): Promise<LoadRun> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(script, lua);
  try {
    return await runLoad("wrk", ["wrk", "-t2", `-c${CLIENTS}`, `-d${seconds}s`, "-s", script, url]);
  } finally {
    await Deno.remove(script);
  }
}

/** HEAD and the mixed workload: wrk waits for a body after HEAD, so these use scripts/loadgen.ts. */
async function runLoadgen(url: string, mix: string, bucket: string, keys: number, size: number) {
  const signer = signers.get(new URL(url).origin);
  return await runLoad("loadgen", [
    Deno.execPath(),
    "run",
    "--allow-net",
    `${ROOT}scripts/loadgen.ts`,
    new URL(url).host,
    String(DURATION),
    String(CLIENTS),
    mix,
    bucket,
    String(keys),
    String(size),
    ...(signer ? [`${signer.accessKey}:${signer.secretKey}:${signer.region}`] : []),
  ]);
}

/** A bucket of small objects made ready for the small-object scenarios on one endpoint. */
interface SmallSetup {
  bucket: string;
  bodyFile: string;
  keys: number;
}

/** The small-object operations, in the order they run. */
const SMALL_OPS = ["PUT", "GET", "HEAD", "STAT", "DELETE", "MIXED"] as const;
/** The operations `--ops` asked for, in SMALL_OPS order. */
const askedOps = args.ops!.toUpperCase().split(",");
for (const op of askedOps) {
  if (!(SMALL_OPS as readonly string[]).includes(op)) {
    throw new Error(`unknown --ops entry ${op} (known: ${SMALL_OPS.join(",")})`);
  }
}
const smallOps = SMALL_OPS.filter((op) => askedOps.includes(op));

/** Creates the bucket and its objects of `size` bytes, then warms the endpoint up with GETs. */
async function prepareSmall(ep: Endpoint, size: number): Promise<SmallSetup> {
  const bucket = `bench-small-${size}`;
  await request("PUT", `${ep.url}/${bucket}`);
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 255);
  const bodyFile = await Deno.makeTempFile();
  await Deno.writeFile(bodyFile, payload);
  const keys = 1000;
  progress(`${ep.name}: preparing ${keys} objects of ${size} bytes`);
  await pool([...Array(keys).keys()], 16, async (i) => {
    await (await request("PUT", `${ep.url}/${bucket}/obj-${i}`, payload)).body?.cancel();
  });
  await runWrk(ep.url, luaFor("GET", ep.url, bucket, keys, bodyFile), 2);
  return { bucket, bodyFile, keys };
}

/** One small-object operation on one endpoint for the full duration; null when it cannot run. */
async function smallOp(
  ep: Endpoint,
  { bucket, bodyFile, keys }: SmallSetup,
  op: typeof SMALL_OPS[number],
  size: number,
): Promise<Result | null> {
  return await measured(ep, async () => {
    const r = op === "HEAD"
      ? await runLoadgen(ep.url, "HEAD", bucket, keys, size)
      : op === "MIXED"
      ? await runLoadgen(ep.url, "GET:45,PUT:15,HEAD:30,DELETE:10", bucket, keys, size)
      : await runWrk(ep.url, luaFor(op, ep.url, bucket, keys, bodyFile));
    const moved = op === "GET" || op === "PUT" ? size : op === "MIXED" ? size * 0.6 : 0;
    return {
      ops: r.ops,
      seconds: r.seconds,
      opsPerSec: r.ops / r.seconds,
      mbPerSec: (r.ops * moved) / r.seconds / 1e6,
      p50ms: r.p50,
      p99ms: r.p99,
      errors: r.errors,
      loadCpuSec: r.cpu,
    };
  }, `${op} ${fmtSize(size)}`);
}

// ------------------------------------------------------------ large objects via curl

async function curlTimed(
  argsList: string[][],
): Promise<{ seconds: number; cpu: number; ok: boolean }> {
  const t0 = performance.now();
  const outs = await Promise.all(
    argsList.map((a) =>
      new Deno.Command("/usr/bin/time", {
        args: ["-f", "TIMECPU %U %S", "curl", "-sS", "-f", ...a],
        stdout: "null",
        stderr: "piped",
      })
        .output()
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  let cpu = 0;
  for (const o of outs) {
    const c = timedCpu(new TextDecoder().decode(o.stderr));
    if (!Number.isNaN(c)) cpu += c;
  }
  return { seconds, cpu, ok: outs.every((o) => o.success) };
}

/** curl arguments that upload `file` to `url`, or download `url` and drop it (signed where needed). */
function curlArgs(op: "PUT" | "GET", url: string, file?: string): string[] {
  return op === "PUT"
    ? ["-T", file!, "-H", "Expect:", authorized("PUT", url)]
    : ["-o", "/dev/null", authorized("GET", url)];
}

/** 1 GiB-class transfers with one and four streams: `ops` of PUT and GET, in that order. */
async function largeObjects(
  ep: Endpoint,
  file: string,
  size: number,
  ops: readonly ("PUT" | "GET")[] = ["PUT", "GET"],
): Promise<Result[]> {
  const bucket = "bench-large";
  await request("PUT", `${ep.url}/${bucket}`).catch(() => {});
  const results: Result[] = [];
  for (const streams of [1, 4]) {
    const keys = Array.from(
      { length: streams },
      // A key per round: no round pays for freeing the blocks of the one before.
      (_, i) => `${ep.url}/${bucket}/big-${streams}-${i}-r${round}`,
    );
    for (const op of ops) {
      if (op === "PUT") await warmPageCache(streams * size);
      results.push(
        await measured(ep, async () => {
          const r = await curlTimed(keys.map((k) => curlArgs(op, k, file)));
          return {
            ops: streams,
            seconds: r.seconds,
            opsPerSec: streams / r.seconds,
            mbPerSec: (streams * size) / r.seconds / 1e6,
            p50ms: null,
            p99ms: null,
            errors: r.ok ? 0 : 1,
            loadCpuSec: r.cpu,
          };
        }, `${op} ${fmtSize(size)} x${streams}`),
      );
    }
  }
  return results;
}

/**
 * Writes `bytes` to a temp file and deletes it, just before an upload is
 * measured, so every endpoint's upload lands in pages the guest has just
 * used. On a VM whose host takes back freed guest memory (virtio-balloon free
 * page reporting, as on the machine this was built on), writing into pages
 * not touched for a few seconds cost several times more: `dd` of 1 GiB into
 * the page cache ran at 0.6–1.2 GB/s cold and 3–4 GB/s warm, and the bare
 * ceiling's 1 GiB PUT moved between 228 and 1,173 MB/s with it.
 */
async function warmPageCache(bytes: number): Promise<void> {
  const path = await Deno.makeTempFile({ prefix: "geckos3-bench-warm-" });
  try {
    using file = await Deno.open(path, { write: true });
    const chunk = new Uint8Array(8 * 1024 * 1024);
    for (let written = 0; written < bytes; written += chunk.byteLength) {
      for (let off = 0; off < chunk.byteLength;) off += await file.write(chunk.subarray(off));
    }
  } finally {
    await Deno.remove(path);
  }
}

// ----------------------------------------------------------- memory under load

/** A sparse file of `size` zero bytes (no disk space for the source of an upload). */
async function sparseFile(size: number): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "geckos3-bench-sparse-" });
  await Deno.truncate(path, size);
  return path;
}

/**
 * The server's peak RSS while one very large object is uploaded and then
 * downloaded, and while 64 objects of 64 MiB are uploaded, then downloaded,
 * all at once.
 */
async function memory(ep: Endpoint, largeSize: number): Promise<Result[]> {
  const bucket = "bench-memory";
  await request("PUT", `${ep.url}/${bucket}`).catch(() => {});
  const results: Result[] = [];
  const cases = [
    { label: `PUT+GET ${fmtSize(largeSize)} x1`, size: largeSize, streams: 1 },
    { label: "PUT+GET 64 MiB x64 at once", size: 64 * 1024 * 1024, streams: 64 },
  ];
  for (const c of cases) {
    const source = await sparseFile(c.size);
    const keys = Array.from({ length: c.streams }, (_, i) => `${ep.url}/${bucket}/m-${i}`);
    try {
      results.push(
        await measured(ep, async () => {
          const put = await curlTimed(keys.map((k) => curlArgs("PUT", k, source)));
          const get = await curlTimed(keys.map((k) => curlArgs("GET", k)));
          const seconds = put.seconds + get.seconds;
          return {
            ops: 2 * c.streams,
            seconds,
            opsPerSec: (2 * c.streams) / seconds,
            mbPerSec: (2 * c.streams * c.size) / seconds / 1e6,
            p50ms: null,
            p99ms: null,
            errors: put.ok && get.ok ? 0 : 1,
            loadCpuSec: put.cpu + get.cpu,
          };
        }, `MEMORY ${c.label}`),
      );
    } finally {
      await Deno.remove(source);
      await pool(keys, 8, async (k) => void (await request("DELETE", k)).body?.cancel());
    }
  }
  return results;
}

/**
 * The ceiling: a minimal Deno.serve that streams a file out, and a body into
 * a file. With `md5` it also hashes the body as it passes, the work every PUT
 * needs for its ETag, with the fastest MD5 geckos3 has (src/checksum/md5.ts:
 * OpenSSL's where it loads), called inline as a plain handler would.
 */
async function startCeiling(dir: string, md5 = false): Promise<Endpoint> {
  const port = await freePort();
  const md5Module = new URL("../src/checksum/md5.ts", import.meta.url).href;
  const hexModule = new URL("../src/checksum/mod.ts", import.meta.url).href;
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

// ---------------------------------------------------------------- listing

/** The listing keys: nested prefixes, 100 top-level directories of 10 sub-directories. */
function listingKey(i: number): string {
  return `dir${String(i % 100).padStart(2, "0")}/sub${i % 10}/key-${String(i).padStart(7, "0")}`;
}

/**
 * Fills the listing bucket: through the server (PUTs) for small counts or
 * peers, directly as files in the data dir of the geckos3 we started for
 * large ones (objects placed by hand are valid objects, without sidecars).
 */
async function fillListing(ep: Endpoint, bucket: string, keys: number): Promise<void> {
  await request("PUT", `${ep.url}/${bucket}`);
  const direct = args["listing-fill"] === "direct" ||
    (args["listing-fill"] === "auto" && keys > 20_000);
  if (ep.dataDir && direct) {
    const made = new Set<string>();
    for (let i = 0; i < keys; i++) {
      const key = listingKey(i);
      const dir = `${ep.dataDir}/${bucket}/${key.slice(0, key.lastIndexOf("/"))}`;
      if (!made.has(dir)) {
        Deno.mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      Deno.writeFileSync(`${ep.dataDir}/${bucket}/${key}`, new Uint8Array(0));
      if (i % 50_000 === 0) progress(`${ep.name}: listing: ${i}/${keys} files created`);
    }
    return;
  }
  let done = 0;
  await pool([...Array(keys).keys()], 32, async (i) => {
    await (await request("PUT", `${ep.url}/${bucket}/${listingKey(i)}`, "")).body?.cancel();
    if (++done % 1000 === 0) progress(`${ep.name}: listing: ${done}/${keys} objects written`);
  });
}

async function listing(ep: Endpoint, keys: number): Promise<Result[]> {
  const bucket = "bench-listing";
  await fillListing(ep, bucket, keys);
  // A bucket being written is re-read on every listing (directories changed in the last 2 s are
  // never cached); measure the bucket at rest.
  await new Promise((r) => setTimeout(r, 3000));
  const sorted = Array.from({ length: keys }, (_, i) => listingKey(i)).sort();
  const pages: [string, string][] = [
    ["first page", ""],
    [
      "middle page (start-after)",
      `&start-after=${encodeURIComponent(sorted[Math.floor(keys / 2)])}`,
    ],
    ["last page (start-after)", `&start-after=${encodeURIComponent(sorted[keys - 500])}`],
    ["top level, delimiter /", "&delimiter=%2F"],
    ["prefix dir42/sub2/, delimiter /", "&prefix=dir42%2Fsub2%2F&delimiter=%2F"],
  ];
  const results: Result[] = [];
  for (const [label, query] of pages) {
    results.push(
      await measured(ep, async () => {
        const latencies: number[] = [];
        const t0 = performance.now();
        for (let i = 0; i < 7; i++) {
          const p0 = performance.now();
          const r = await request("GET", `${ep.url}/${bucket}?list-type=2${query}`);
          await r.text();
          latencies.push(performance.now() - p0);
        }
        const seconds = (performance.now() - t0) / 1000;
        latencies.sort((a, b) => a - b);
        return {
          ops: latencies.length,
          seconds,
          opsPerSec: latencies.length / seconds,
          mbPerSec: 0,
          p50ms: latencies[3],
          p99ms: latencies[6],
          errors: 0,
          loadCpuSec: null,
        };
      }, `LIST ${keys} keys: ${label}`),
    );
  }
  return results;
}

// -------------------------------------------------------------- multipart

async function multipart(ep: Endpoint, file: string, size: number): Promise<Result[]> {
  const bucket = "bench-multipart";
  await request("PUT", `${ep.url}/${bucket}`).catch(() => {});
  // Warm-up: one whole upload and completion, not measured, then removed.
  await multipartRun(ep, `${ep.url}/${bucket}/warm-up.bin`, file, size);
  await (await request("DELETE", `${ep.url}/${bucket}/warm-up.bin`)).body?.cancel();
  return await multipartRun(ep, `${ep.url}/${bucket}/mpu.bin`, file, size);
}

/** One measured multipart upload (16 MiB parts, 4 at a time) of `file` to `key`, then its completion. */
async function multipartRun(
  ep: Endpoint,
  key: string,
  file: string,
  size: number,
): Promise<Result[]> {
  const partSize = 16 * 1024 * 1024;
  const results: Result[] = [];
  let uploadId = "";
  const etags: string[] = [];
  results.push(
    await measured(ep, async () => {
      const t0 = performance.now();
      const created = await (await request("POST", `${key}?uploads`)).text();
      uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created)![1];
      const parts = Math.ceil(size / partSize);
      const numbers = [...Array(parts).keys()];
      // Read each part with its own handle at its offset, then upload it.
      await pool(numbers, 4, async (i) => {
        const fh = await Deno.open(file);
        await fh.seek(i * partSize, Deno.SeekMode.Start);
        const buf = new Uint8Array(Math.min(partSize, size - i * partSize));
        let off = 0;
        while (off < buf.length) off += (await fh.read(buf.subarray(off))) ?? 0;
        fh.close();
        const r = await request(
          "PUT",
          `${key}?partNumber=${i + 1}&uploadId=${encodeURIComponent(uploadId)}`,
          buf,
        );
        etags[i] = r.headers.get("etag")!;
        await r.body?.cancel();
      });
      const seconds = (performance.now() - t0) / 1000;
      return {
        ops: parts,
        seconds,
        opsPerSec: parts / seconds,
        mbPerSec: size / seconds / 1e6,
        p50ms: null,
        p99ms: null,
        errors: 0,
        loadCpuSec: null,
      };
    }, `MULTIPART upload ${fmtSize(size)} (16 MiB parts x4)`),
  );
  results.push(
    await measured(ep, async () => {
      const body = `<CompleteMultipartUpload>${
        etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join(
          "",
        )
      }</CompleteMultipartUpload>`;
      const t0 = performance.now();
      await (await request("POST", `${key}?uploadId=${encodeURIComponent(uploadId)}`, body)).text();
      const seconds = (performance.now() - t0) / 1000;
      return {
        ops: 1,
        seconds,
        opsPerSec: 1 / seconds,
        mbPerSec: size / seconds / 1e6,
        p50ms: null,
        p99ms: null,
        errors: 0,
        loadCpuSec: null,
      };
    }, `MULTIPART complete ${fmtSize(size)}`),
  );
  return results;
}

// ------------------------------------------------------------------- output

function fmtSize(n: number): string {
  if (n >= 1024 ** 3) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2) return `${n / 1024 ** 2} MiB`;
  if (n >= 1024) return `${n / 1024} KiB`;
  return `${n} B`;
}

function table(results: Result[]): string {
  const head = [
    "endpoint",
    "scenario",
    "ops/s",
    "MB/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "srv CPU µs/op",
    "srv peak RSS MiB",
    "loadgen CPU s",
    "steal %",
  ];
  const f = (n: number | null, d = 1) => (n === null || Number.isNaN(n) ? "-" : n.toFixed(d));
  const rows = results.map((r) => [
    r.endpoint,
    r.scenario,
    f(r.opsPerSec, r.opsPerSec < 10 ? 2 : 0),
    f(r.mbPerSec),
    f(r.p50ms, 2),
    f(r.p99ms, 2),
    String(r.errors),
    f(r.serverCpuUsPerOp, 0),
    f(r.serverPeakRssMiB, 0),
    f(r.loadCpuSec, 2),
    f(r.stealPercent),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

// --------------------------------------------------------------------- main

const endpoints: Endpoint[] = [];
try {
  for (const w of args.workers!.split(",")) endpoints.push(await startGeckos3(w.trim()));
  for (const peer of args.peer!) {
    if (peer !== "s3rver") throw new Error(`unknown peer ${peer} (known: s3rver)`);
    endpoints.push(await startS3rver());
  }
  args.endpoint!.forEach((url, i) => {
    if (SIGN_ENDPOINTS) signers.set(new URL(url).origin, BENCH_SIGNER);
    endpoints.push({ name: args.name![i] ?? url, url, pid: null, stop: () => Promise.resolve() });
  });
  const results: Result[] = [];
  const failures: string[] = [];
  const largeSize = parseSize(args.large!);
  let largeFile: string | null = null;
  if (scenarios.has("large") || scenarios.has("multipart")) {
    largeFile = await Deno.makeTempFile({ prefix: "geckos3-bench-large-" });
    progress(`writing a ${fmtSize(largeSize)} test file`);
    const f = await Deno.open(largeFile, { write: true });
    const block = crypto.getRandomValues(new Uint8Array(65536));
    const mib = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 16; i++) mib.set(block, i * 65536);
    for (let off = 0; off < largeSize; off += mib.length) {
      mib[0] = off / mib.length; // vary blocks
      await f.write(mib.subarray(0, Math.min(mib.length, largeSize - off)));
    }
    f.close();
  }
  /** Runs one scenario group; a failure (e.g. a peer's 500) is reported as a row, not the end of the run. */
  const attempt = async (ep: Endpoint, label: string, fn: () => Promise<Result[]>) => {
    try {
      results.push(...await fn());
    } catch (e) {
      failures.push(`${ep.name} ${label}: ${(e as Error).message.split("\n")[0].slice(0, 200)}`);
    }
  };
  // Small objects run operation by operation across the endpoints (every endpoint's PUT before
  // anyone's DELETE): on a filesystem where file creation slows down after many deletions (ext4
  // without a journal), no endpoint's writes then follow another's deletions.
  if (scenarios.has("small")) {
    for (const s of args.sizes!.split(",")) {
      const size = parseSize(s);
      const ready = new Map<Endpoint, SmallSetup>();
      for (const ep of endpoints) {
        await attempt(ep, `small ${s}`, async () => {
          ready.set(ep, await prepareSmall(ep, size));
          return [];
        });
      }
      for (const op of smallOps) {
        for (round = 1; round <= REPEAT; round++) {
          for (const [ep, setup] of ready) {
            await attempt(ep, `${op} ${s}`, async () => {
              const r = await smallOp(ep, setup, op, size);
              return inRound(r ? [r] : []);
            });
          }
        }
      }
      for (const setup of ready.values()) await Deno.remove(setup.bodyFile);
    }
  }
  if (scenarios.has("large")) {
    // The ceilings run beside the endpoints, round by round (the MD5 one only differs in its
    // uploads), so each round's figures are measured minutes apart at most.
    const ceilings: { ep: Endpoint; dir: string; ops?: ("PUT" | "GET")[] }[] = [];
    try {
      for (const md5 of [false, true]) {
        const dir = await Deno.makeTempDir();
        ceilings.push({ ep: await startCeiling(dir, md5), dir, ops: md5 ? ["PUT"] : undefined });
      }
      for (round = 1; round <= REPEAT; round++) {
        for (
          const { ep, ops } of [...endpoints.map((ep) => ({ ep, ops: undefined })), ...ceilings]
        ) {
          await attempt(ep, "large", async () => {
            return inRound(await largeObjects(ep, largeFile!, largeSize, ops));
          });
        }
      }
    } finally {
      for (const { ep, dir } of ceilings) {
        await ep.stop();
        await Deno.remove(dir, { recursive: true });
      }
    }
  }
  for (let i = 0; i < endpoints.length; i++) {
    let ep = endpoints[i];
    if (scenarios.has("listing")) {
      await attempt(ep, "listing", () => listing(ep, Number(args["listing-keys"])));
    }
    // The groups with memory targets run in a fresh process where possible: a process keeps the
    // memory it grew to, and what earlier scenarios left is not theirs.
    const fresh = async () => {
      if (!ep.fresh) return ep;
      await ep.stop();
      return (endpoints[i] = ep = await ep.fresh());
    };
    if (scenarios.has("multipart")) {
      const server = await fresh();
      await attempt(server, "multipart", () => multipart(server, largeFile!, largeSize));
    }
    if (scenarios.has("memory")) {
      const server = await fresh();
      await attempt(server, "memory", () => memory(server, parseSize(args["memory-large"]!)));
    }
  }
  if (largeFile) await Deno.remove(largeFile);
  progress("");
  // Memory rows time a fixed transfer to read its peak RSS: their rates are not what is compared.
  const sideBySide = ratios(
    results.filter((r) => !r.scenario.startsWith("MEMORY")),
    (name) => name.startsWith("geckos3"),
  );
  if (args.json) {
    console.log(
      JSON.stringify(
        { clients: CLIENTS, durationSec: DURATION, results, ratios: sideBySide, failures, notes },
        null,
        2,
      ),
    );
  } else {
    console.log(
      `\n${CLIENTS} clients, ${DURATION} s per small-object scenario, ${Deno.build.os} ${navigator.hardwareConcurrency} cores` +
        ` (geckos3 without "xN": -workers auto, ${
          serverThreads("auto", runtimeFlags().includes("--unstable-net"))
        } server threads here)`,
    );
    console.log(table(results));
    if (sideBySide.length > 0) {
      console.log("\nops/s of geckos3 over each other endpoint, round by round:");
      console.log(formatRatios(sideBySide));
    }
    for (const f of failures) console.log(`FAILED: ${f}`);
    for (const n of notes) console.log(`NOTE: ${n}`);
  }
} finally {
  for (const ep of endpoints) await ep.stop();
}

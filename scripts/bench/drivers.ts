/** The load generators: wrk (with Lua scripts), scripts/loadgen.ts, and curl for large transfers. */
import type { Bench } from "./context.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

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
 * and b.signedFreshKeys fresh keys per thread for PUT and DELETE.
 */
export function luaFor(
  b: Bench,
  op: string,
  origin: string,
  bucket: string,
  keys: number,
  bodyFile: string,
): string {
  const body = `local f = io.open("${bodyFile}", "rb"); local body = f:read("*all"); f:close()`;
  if (b.signers.has(origin)) {
    return `${LUA_COMMON}\n${body}\n${signedLua(b, op, origin, bucket, keys)}\n`;
  }
  const pick = `"/${bucket}/obj-" .. math.random(0, ${keys - 1})`;
  const fresh = `"/${bucket}/w${b.round}x" .. tid .. "-" .. counter`;
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
      else return wrk.format("DELETE", "/${bucket}/w${b.round}x" .. tid .. "-" .. math.random(0, counter)) end
    end`,
  };
  return `${LUA_COMMON}\n${body}\n${lines[op]}\n`;
}

/** The request function of a wrk script replaying presigned paths (GET, STAT, PUT, DELETE). */
function signedLua(
  b: Bench,
  op: string,
  origin: string,
  bucket: string,
  keys: number,
): string {
  const path = (method: string, url: string) => {
    const signed = new URL(b.authorized(method, url));
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
        numbers(b.signedFreshKeys).map((i) =>
          path(op, `${origin}/${bucket}/w${b.round}x${tid}-${i + 1}`)
        ),
      );
    return `local paths = { ${thread(1)}, ${thread(2)} }
request = function()
  counter = counter % ${b.signedFreshKeys} + 1
  return wrk.format("${op}", paths[tid][counter]${op === "PUT" ? ", nil, body" : ""})
end`;
  }
  throw new Error(`no signed wrk script for ${op}`);
}

/** One load-generator run: operations, duration, latency percentiles (ms), errors, its CPU seconds. */
export interface LoadRun {
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

/** wrk with `lua` against `url`, two threads and the run's clients. */
export async function runWrk(
  b: Bench,
  url: string,
  lua: string,
  seconds = b.duration,
): Promise<LoadRun> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(script, lua);
  try {
    return await runLoad("wrk", [
      "wrk",
      "-t2",
      `-c${b.clients}`,
      `-d${seconds}s`,
      "-s",
      script,
      url,
    ]);
  } finally {
    await Deno.remove(script);
  }
}

/** HEAD and the mixed workload: wrk waits for a body after HEAD, so these use scripts/loadgen.ts. */
export async function runLoadgen(
  b: Bench,
  url: string,
  mix: string,
  bucket: string,
  keys: number,
  size: number,
) {
  const signer = b.signers.get(new URL(url).origin);
  return await runLoad("loadgen", [
    Deno.execPath(),
    "run",
    "--allow-net",
    `${ROOT}scripts/loadgen.ts`,
    new URL(url).host,
    String(b.duration),
    String(b.clients),
    mix,
    bucket,
    String(keys),
    String(size),
    ...(signer ? [`${signer.accessKey}:${signer.secretKey}:${signer.region}`] : []),
  ]);
}

/** curl processes run at once: wall time, their CPU seconds, whether all succeeded. */
export async function curlTimed(
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
export function curlArgs(b: Bench, op: "PUT" | "GET", url: string, file?: string): string[] {
  return op === "PUT"
    ? ["-T", file!, "-H", "Expect:", b.authorized("PUT", url)]
    : ["-o", "/dev/null", b.authorized("GET", url)];
}

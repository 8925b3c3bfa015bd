/**
 * A warp-style benchmark for geckos3 and any other S3 endpoint, side by side
 * in one run.
 *
 *   deno task bench [--duration 10] [--clients 32]
 *                   [--scenarios small,large,listing,multipart,memory,versions,access,lifecycle,notify]
 *                   [--sizes 4KiB,1MiB] [--ops PUT,GET,HEAD,STAT,DELETE,MIXED]
 *                   [--repeat 1] [--large 1GiB] [--memory-large 5GiB] [--post-large 2GiB]
 *                   [--peer s3rver] [--peer-go PATH]
 *                   [--auth[=false]]
 *                   [--workers 1,2]
 *                   [--listing-keys 200000] [--listing-fill auto|server|direct]
 *                   [--endpoint URL --name peer] [--access-key K --secret-key S]
 *                   [--region us-east-1] [--json]
 *
 * By default it starts geckos3 (auth off, temp data dir, its default
 * `-workers auto`) as a child process; `--workers 1,2` starts one geckos3 per
 * listed `-workers` value instead.
 * `--peer s3rver` also installs s3rver from npm into a temp folder and runs
 * it; `--peer-go PATH` runs the original Go geckos3 from its binary (built
 * from github.com/randilt/geckos3: see docs/performance.md) with the same
 * flags, credentials and metadata setting; `--endpoint` adds any running endpoint, sent unsigned requests unless
 * `--access-key` and `--secret-key` are given: then every request to it is
 * presigned (SigV4, `--region`) with them, and the geckos3 started here runs
 * with the same credentials. Small-object scenarios are driven by `wrk`
 * (Debian `wrk`) with keep-alive connections in its own process; large
 * transfers by `curl`.
 * `versions` (geckos3 only) runs PUT into a versioned bucket beside an
 * unversioned one, round by round, and times ListObjectVersions pages of
 * 1,000 from one key with 10,000 versions.
 * `access` (geckos3 started here, with --auth) starts it with a users file
 * of ten users and times signed 4 KiB GETs by one of them through a bucket
 * policy beside the administrator's on a bucket without one.
 * `lifecycle` (geckos3 started here) times 4 KiB GETs while the lifecycle
 * scanner walks a bucket of `--lifecycle-keys` (100,000) objects, beside
 * GETs with no rule.
 * `notify` (geckos3 started here) times 4 KiB PUTs into a bucket that sends
 * every ObjectCreated event to a webhook of the bench, beside PUTs into one
 * that sends none, with the receiver answering and then hanging.
 * `memory` also posts one `--post-large` file (2 GiB) to geckos3 with a
 * browser POST form, for the server's peak RSS.
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

import { runtimeFlags } from "../release.ts";
import { serverThreads } from "../../src/front/workers.ts";
import { formatRatios, ratios } from "../ratios.ts";
import { Bench } from "./context.ts";
import { parseBenchArgs, parseSize } from "./options.ts";
import { startCeiling, startGeckos3, startGo, startS3rver } from "./endpoints.ts";
import { BenchReceiver, notifyCost } from "./notify.ts";
import { prepareSmall, SMALL_OPS, smallOp, type SmallSetup } from "./small.ts";
import { largeObjects, memory } from "./large.ts";
import { listing } from "./listing.ts";
import { multipart } from "./multipart.ts";
import { versions } from "./versions.ts";
import { access, writeBenchUsersFile } from "./access.ts";
import { postMemory } from "./post.ts";
import { lifecycleScan } from "./lifecycle.ts";
import { fmtSize, table } from "./report.ts";
import type { Endpoint, Result } from "./types.ts";

/** Runs the benchmark the command line asks for and prints its report. */
async function main(b: Bench): Promise<void> {
  const scenarios = new Set(b.args.scenarios!.split(","));
  const askedOps = b.args.ops!.toUpperCase().split(",");
  for (const op of askedOps) {
    if (!(SMALL_OPS as readonly string[]).includes(op)) {
      throw new Error(`unknown --ops entry ${op} (known: ${SMALL_OPS.join(",")})`);
    }
  }
  const smallOps = SMALL_OPS.filter((op) => askedOps.includes(op));
  const endpoints: Endpoint[] = [];
  if (scenarios.has("access") && b.args.auth) b.usersFile = await writeBenchUsersFile(b);
  if (scenarios.has("notify")) b.receiver = new BenchReceiver();
  try {
    for (const w of b.args.workers!.split(",")) endpoints.push(await startGeckos3(b, w.trim()));
    if (b.args["peer-go"]) endpoints.push(await startGo(b, b.args["peer-go"]));
    for (const peer of b.args.peer!) {
      if (peer !== "s3rver") throw new Error(`unknown peer ${peer} (known: s3rver)`);
      endpoints.push(await startS3rver(b));
    }
    b.args.endpoint!.forEach((url, i) => {
      if (b.signEndpoints) b.signers.set(new URL(url).origin, b.signer);
      endpoints.push({
        name: b.args.name![i] ?? url,
        url,
        pid: null,
        stop: () => Promise.resolve(),
      });
    });
    const results: Result[] = [];
    const failures: string[] = [];
    const largeSize = parseSize(b.args.large!);
    let largeFile: string | null = null;
    if (scenarios.has("large") || scenarios.has("multipart")) {
      largeFile = await Deno.makeTempFile({ prefix: "geckos3-bench-large-" });
      b.progress(`writing a ${fmtSize(largeSize)} test file`);
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
      // GETs also run against the bare handler (one thread, open the file and return its
      // stream): the ceiling geckos3's GETs are measured against in the same rounds.
      const ceilingDir = smallOps.includes("GET") ? await Deno.makeTempDir() : null;
      const ceiling = ceilingDir ? await startCeiling(ceilingDir) : null;
      try {
        for (const s of b.args.sizes!.split(",")) {
          const size = parseSize(s);
          const ready = new Map<Endpoint, SmallSetup>();
          for (const ep of ceiling ? [...endpoints, ceiling] : endpoints) {
            await attempt(ep, `small ${s}`, async () => {
              ready.set(ep, await prepareSmall(b, ep, size));
              return [];
            });
          }
          for (const op of smallOps) {
            for (b.round = 1; b.round <= b.repeat; b.round++) {
              for (const [ep, setup] of ready) {
                if (ep === ceiling && op !== "GET") continue;
                await attempt(ep, `${op} ${s}`, async () => {
                  const r = await smallOp(b, ep, setup, op, size);
                  return b.inRound(r ? [r] : []);
                });
              }
            }
          }
          for (const setup of ready.values()) await Deno.remove(setup.bodyFile);
        }
      } finally {
        await ceiling?.stop();
        if (ceilingDir) await Deno.remove(ceilingDir, { recursive: true });
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
        for (b.round = 1; b.round <= b.repeat; b.round++) {
          for (
            const { ep, ops } of [...endpoints.map((ep) => ({ ep, ops: undefined })), ...ceilings]
          ) {
            await attempt(ep, "large", async () => {
              return b.inRound(await largeObjects(b, ep, largeFile!, largeSize, ops));
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
        await attempt(ep, "listing", () => listing(b, ep, Number(b.args["listing-keys"])));
      }
      if (scenarios.has("versions") && ep.name.startsWith("geckos3")) {
        const size = parseSize(b.args.sizes!.split(",")[0]);
        await attempt(ep, "versions", () => versions(b, ep, size));
      }
      if (scenarios.has("lifecycle") && ep.name.startsWith("geckos3") && ep.pid !== null) {
        const size = parseSize(b.args.sizes!.split(",")[0]);
        const keys = Number(b.args["lifecycle-keys"]);
        await attempt(ep, "lifecycle", () => lifecycleScan(b, ep, size, keys));
      }
      if (scenarios.has("notify") && ep.name.startsWith("geckos3") && ep.pid !== null) {
        const size = parseSize(b.args.sizes!.split(",")[0]);
        await attempt(ep, "notify", () => notifyCost(b, ep, b.receiver!, size));
      }
      if (scenarios.has("access") && ep.name.startsWith("geckos3") && ep.pid !== null) {
        if (b.usersFile) {
          const size = parseSize(b.args.sizes!.split(",")[0]);
          await attempt(ep, "access", () => access(b, ep, size));
        } else b.notes.push(`${ep.name}: access: runs only with --auth`);
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
        await attempt(server, "multipart", () => multipart(b, server, largeFile!, largeSize));
      }
      if (scenarios.has("memory")) {
        const server = await fresh();
        await attempt(
          server,
          "memory",
          () => memory(b, server, parseSize(b.args["memory-large"]!)),
        );
        if (server.name.startsWith("geckos3")) {
          // In a process of its own: the memory rows before leave their heap behind.
          const own = await fresh();
          await attempt(own, "post", () => postMemory(b, own, parseSize(b.args["post-large"]!)));
        }
      }
    }
    if (largeFile) await Deno.remove(largeFile);
    b.progress("");
    // Memory rows time a fixed transfer to read its peak RSS: their rates are not what is compared.
    const sideBySide = ratios(
      results.filter((r) => !r.scenario.startsWith("MEMORY")),
      (name) => name.startsWith("geckos3"),
    );
    if (b.args.json) {
      console.log(
        JSON.stringify(
          {
            clients: b.clients,
            durationSec: b.duration,
            results,
            ratios: sideBySide,
            failures,
            notes: b.notes,
          },
          null,
          2,
        ),
      );
    } else {
      console.log(
        `\n${b.clients} clients, ${b.duration} s per small-object scenario, ${Deno.build.os} ${navigator.hardwareConcurrency} cores` +
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
      for (const n of b.notes) console.log(`NOTE: ${n}`);
    }
  } finally {
    for (const ep of endpoints) await ep.stop();
    if (b.usersFile) await Deno.remove(b.usersFile).catch(() => {});
    await b.receiver?.close();
  }
}

if (import.meta.main) {
  const args = parseBenchArgs(Deno.args);
  if (args.help) {
    // The usage is this file's opening comment.
    const source = await Deno.readTextFile(new URL(import.meta.url));
    const doc = source.slice(source.indexOf("/**") + 3, source.indexOf("*/"));
    console.log(doc.split("\n").map((l) => l.replace(/^ \* ?/, "")).join("\n").trim());
    Deno.exit(0);
  }
  await main(new Bench(args));
}

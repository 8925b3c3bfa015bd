/**
 * The benchmark itself, briefly: `scripts/bench/main.ts` against a geckos3 it starts with auth on
 * (presigned wrk scripts and the raw-socket loadgen), every small-object operation twice with
 * `--repeat 2`, one second each, and its `--help`. Needs `wrk` (Debian package `wrk`).
 */
import { assert, assertEquals } from "./support/assert.ts";
import { ACCESS_KEY, SECRET_KEY, startTestServer } from "./support/server.ts";

const BENCH = new URL("../scripts/bench/main.ts", import.meta.url).pathname;
const CEILING = "ceiling (bare Deno.serve)";

interface Row {
  endpoint: string;
  scenario: string;
  ops: number;
  errors: number;
  serverCpuUsPerOp: number | null;
  loadCpuSec: number | null;
  stealPercent: number | null;
}

Deno.test("bench: every small-object operation runs, signed, in each --repeat round", async () => {
  const { ok, stderr, report } = await benchJson([
    "--ops=PUT,GET,HEAD,STAT,DELETE,MIXED",
    "--repeat=2",
    "--auth",
  ]);
  assert(ok, stderr);
  assertEquals(report.failures, []);
  // GETs alone also run against the bare open-and-return handler, unsigned (it checks nothing).
  assertEquals(
    report.ratios.map((r) => [r.scenario, r.versus]),
    [["GET 4 KiB", CEILING]],
    "geckos3 alone: compared with the GET ceiling only",
  );
  const ceiling = report.results.filter((r) => r.endpoint === CEILING);
  assertEquals(ceiling.map((r) => r.scenario), ["GET 4 KiB #1", "GET 4 KiB #2"]);
  for (const r of ceiling) assertEquals(r.errors, 0, r.scenario);
  const ours = report.results.filter((r) => r.endpoint !== CEILING);
  const scenarios = ours.map((r) => r.scenario);
  for (const op of ["PUT", "GET", "HEAD", "STAT", "DELETE", "MIXED"]) {
    for (const round of [1, 2]) assert(scenarios.includes(`${op} 4 KiB #${round}`), op);
  }
  for (const r of ours) {
    assertEquals(r.endpoint, "geckos3 (auth on)");
    assert(r.ops > 0, `${r.scenario}: no operations`);
    assertEquals(r.errors, 0, `${r.scenario}: errors (a signature the server refused?)`);
    assert((r.serverCpuUsPerOp ?? 0) > 0 && (r.loadCpuSec ?? -1) >= 0, r.scenario);
    const steal = r.stealPercent ?? -1;
    assert(steal >= 0 && steal <= 100, `${r.scenario}: steal ${r.stealPercent}`);
  }
});

Deno.test("bench: the versions scenario compares versioned PUTs and pages 10,000 versions", async () => {
  const { ok, stderr, report } = await benchJson(["--scenarios=versions"]);
  assert(ok, stderr);
  assertEquals(report.failures, []);
  const scenarios = report.results.map((r) => r.scenario);
  for (
    const s of [
      "PUT 4 KiB unversioned",
      "PUT 4 KiB versioned",
      "LIST VERSIONS 1000 of 10000: first page",
      "LIST VERSIONS 1000 of 10000: last page",
    ]
  ) assert(scenarios.includes(s), `${s} in ${scenarios}`);
  for (const r of report.results) assertEquals(r.errors, 0, r.scenario);
  assert(report.notes.some((n) => /versioned bucket over an unversioned one: \d/.test(n)));
});

Deno.test("bench: --help prints the usage and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", BENCH, "--help"],
    stdout: "piped",
  }).output();
  assert(out.success);
  const text = new TextDecoder().decode(out.stdout);
  assert(text.includes("--repeat") && text.includes("--peer s3rver"), text);
});

Deno.test("bench: a bad --repeat, a bad --ops entry or a lone --access-key stops it before anything runs", async () => {
  for (
    const [flag, message] of [
      ["--repeat=0", "--repeat"],
      ["--ops=PUT,GTE", "GTE"],
      ["--access-key=alone", "--secret-key"],
    ]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", BENCH, flag],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(!out.success, flag);
    assert(new TextDecoder().decode(out.stderr).includes(message), flag);
  }
});

/** Runs the bench with `flags` (small 4 KiB objects, one second, four clients) and its JSON report. */
async function benchJson(flags: string[]): Promise<{
  ok: boolean;
  stderr: string;
  report: {
    results: (Row & { opsPerSec: number })[];
    ratios: { scenario: string; endpoint: string; versus: string; rounds: number[] }[];
    failures: string[];
    notes: string[];
  };
}> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      BENCH,
      ...(flags.some((f) => f.startsWith("--scenarios=")) ? [] : ["--scenarios=small"]),
      "--sizes=4KiB",
      "--duration=1",
      "--clients=4",
      "--json",
      ...flags,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  return {
    ok: out.success,
    stderr: new TextDecoder().decode(out.stderr),
    report: out.success ? JSON.parse(stdout) : { results: [], ratios: [], failures: [] },
  };
}

Deno.test("bench: another endpoint runs side by side, signed with --access-key/--secret-key, and the summary gives round-by-round ratios", async () => {
  const peer = await startTestServer(); // auth on
  try {
    const endpoint = [`--endpoint=${peer.url}`, "--name=peer"];
    const { ok, stderr, report } = await benchJson([
      "--ops=GET,PUT,HEAD",
      "--repeat=2",
      "--auth=false",
      ...endpoint,
      `--access-key=${ACCESS_KEY}`,
      `--secret-key=${SECRET_KEY}`,
    ]);
    assert(ok, stderr);
    assertEquals(report.failures, []);
    for (const r of report.results) {
      assert(
        r.ops > 0 && r.errors === 0,
        `${r.endpoint} ${r.scenario}: ${r.ops} ops, ${r.errors} errors`,
      );
    }
    assertEquals(report.results.filter((r) => r.endpoint === "peer").length, 6);
    const rate = (endpoint: string, round: number) =>
      report.results.find((r) => r.endpoint === endpoint && r.scenario === `GET 4 KiB #${round}`)!
        .opsPerSec;
    const get = report.ratios.find((r) => r.scenario === "GET 4 KiB" && r.versus === "peer")!;
    assertEquals(get.endpoint, "geckos3");
    assertEquals(get.rounds, [1, 2].map((n) => rate("geckos3", n) / rate("peer", n)));
    assertEquals(report.ratios.map((r) => [r.scenario, r.versus]), [
      ["PUT 4 KiB", "peer"],
      ["GET 4 KiB", "peer"],
      ["GET 4 KiB", CEILING],
      ["HEAD 4 KiB", "peer"],
    ]);

    // Without the keys the same endpoint refuses the bench's requests: the signing is what worked.
    const unsigned = await benchJson(["--ops=GET", ...endpoint]);
    assert(unsigned.ok, unsigned.stderr);
    assert(
      unsigned.report.failures.some((f) => f.startsWith("peer") && f.includes("403")),
      JSON.stringify(unsigned.report.failures),
    );
  } finally {
    await peer.close();
  }
});

Deno.test("bench: --peer-go starts the given binary with the Go original's flags, side by side", async () => {
  // The Go original is not built here (its source is on GitHub); a stand-in takes its flags, as
  // geckos3 takes every flag of the original, and serves with them.
  const dir = await Deno.makeTempDir();
  const standIn = `${dir}/geckos3-go`;
  const main = new URL("../main.ts", import.meta.url).pathname;
  await Deno.writeTextFile(
    standIn,
    `#!/bin/sh\necho "$@" > ${dir}/args\nexec "${Deno.execPath()}" run -A ${main} -workers=1 "$@"\n`,
  );
  await Deno.chmod(standIn, 0o755);
  try {
    const { ok, stderr, report } = await benchJson(["--ops=GET", "--auth", `--peer-go=${standIn}`]);
    assert(ok, stderr);
    assertEquals(report.failures, []);
    const go = report.results.find((r) => r.endpoint === "original (Go) (auth on)");
    assert(go && go.ops > 0 && go.errors === 0, JSON.stringify(report.results));
    assertEquals(report.ratios.map((r) => [r.endpoint, r.versus]), [
      ["geckos3 (auth on)", "original (Go) (auth on)"],
      ["geckos3 (auth on)", CEILING],
    ]);
    const args = (await Deno.readTextFile(`${dir}/args`)).trim().split(" ");
    assertEquals(args.map((a) => a.split("=")[0]), [
      "-data-dir",
      "-listen",
      "-auth",
      "-access-key",
      "-secret-key",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench: large transfers run beside both ceilings, with a ratio to each", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", BENCH, "--scenarios=large", "--large=1MiB", "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  const report = JSON.parse(text) as { results: Row[]; ratios: { versus: string }[] };
  const endpoints = new Set(report.results.map((r) => r.endpoint));
  assertEquals([...endpoints].sort(), ["ceiling (bare Deno.serve)", "ceiling + MD5", "geckos3"]);
  for (const r of report.results) assertEquals(r.errors, 0, `${r.endpoint} ${r.scenario}`);
  assertEquals(new Set(report.ratios.map((r) => r.versus)).size, 2);
});

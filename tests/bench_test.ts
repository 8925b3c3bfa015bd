/**
 * The benchmark itself, briefly: `scripts/bench.ts` against a geckos3 it starts with auth on
 * (presigned wrk scripts and the raw-socket loadgen), every small-object operation twice with
 * `--repeat 2`, one second each, and its `--help`. Needs `wrk` (Debian package `wrk`).
 */
import { assert, assertEquals } from "./support/assert.ts";
import { startTestServer } from "./support/server.ts";

const BENCH = new URL("../scripts/bench.ts", import.meta.url).pathname;

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
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      BENCH,
      "--scenarios=small",
      "--sizes=4KiB",
      "--ops=PUT,GET,HEAD,STAT,DELETE,MIXED",
      "--repeat=2",
      "--duration=1",
      "--clients=4",
      "--auth",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    results: Row[];
    ratios: unknown[];
    failures: string[];
  };
  assertEquals(report.failures, []);
  assertEquals(report.ratios, [], "geckos3 alone: nothing to compare with");
  const scenarios = report.results.map((r) => r.scenario);
  for (const op of ["PUT", "GET", "HEAD", "STAT", "DELETE", "MIXED"]) {
    for (const round of [1, 2]) assert(scenarios.includes(`${op} 4 KiB #${round}`), op);
  }
  for (const r of report.results) {
    assertEquals(r.endpoint, "geckos3 (auth on)");
    assert(r.ops > 0, `${r.scenario}: no operations`);
    assertEquals(r.errors, 0, `${r.scenario}: errors (a signature the server refused?)`);
    assert((r.serverCpuUsPerOp ?? 0) > 0 && (r.loadCpuSec ?? -1) >= 0, r.scenario);
    const steal = r.stealPercent ?? -1;
    assert(steal >= 0 && steal <= 100, `${r.scenario}: steal ${r.stealPercent}`);
  }
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

Deno.test("bench: a bad --repeat or --ops entry stops it before anything runs", async () => {
  for (const [flag, message] of [["--repeat=0", "--repeat"], ["--ops=PUT,GTE", "GTE"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", BENCH, flag],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(!out.success, flag);
    assert(new TextDecoder().decode(out.stderr).includes(message), flag);
  }
});

Deno.test("bench: another endpoint runs side by side, and the summary gives round-by-round ratios", async () => {
  const peer = await startTestServer({ auth: false });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        BENCH,
        "--scenarios=small",
        "--sizes=4KiB",
        "--ops=GET",
        "--repeat=2",
        "--duration=1",
        "--clients=4",
        `--endpoint=${peer.url}`,
        "--name=peer",
        "--json",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const report = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      results: (Row & { opsPerSec: number })[];
      ratios: { scenario: string; endpoint: string; versus: string; rounds: number[] }[];
    };
    const rate = (endpoint: string, round: number) =>
      report.results.find((r) => r.endpoint === endpoint && r.scenario === `GET 4 KiB #${round}`)!
        .opsPerSec;
    assertEquals(report.ratios.length, 1);
    const [ratio] = report.ratios;
    assertEquals([ratio.scenario, ratio.endpoint, ratio.versus], ["GET 4 KiB", "geckos3", "peer"]);
    assertEquals(ratio.rounds, [1, 2].map((n) => rate("geckos3", n) / rate("peer", n)));
  } finally {
    await peer.close();
  }
});

/**
 * geckos3 as a user runs it: `deno run main.ts` as a child process, its exit
 * codes, start-up and access log lines, CORS, and graceful shutdown.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { freePort, spawnServer, START_FLAGS } from "./support/process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function runMain(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...START_FLAGS, MAIN, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("-version prints dev build information", async () => {
  const r = await runMain(["-version"]);
  assertEquals(r.code, 0);
  assert(/^geckos3 dev \(commit none, built unknown\)\n$/.test(r.stdout), r.stdout);
});

Deno.test("-help lists every flag and its env var", async () => {
  const r = await runMain(["-h"]);
  assertEquals(r.code, 0);
  for (
    const s of [
      "-data-dir",
      "GECKOS3_DATA_DIR",
      "-listen",
      "GECKOS3_LISTEN",
      "-access-key",
      "GECKOS3_ACCESS_KEY",
      "-secret-key",
      "GECKOS3_SECRET_KEY",
      "-auth",
      "GECKOS3_AUTH_ENABLED",
      "-metadata",
      "GECKOS3_METADATA",
      "-fsync",
      "GECKOS3_FSYNC",
      "-version",
    ]
  ) {
    assert(r.stdout.includes(s), s);
  }
});

Deno.test("bad values exit 2 with one clear line and no stack trace", async () => {
  const file = await Deno.makeTempFile();
  try {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["-auth=maybe"], {}, /invalid boolean value "maybe" for -auth/],
      [["-listen=nowhere"], {}, /invalid listen address/],
      [[], { GECKOS3_METADATA: "sometimes" }, /GECKOS3_METADATA/],
      [["-data-dir", file, "-listen=127.0.0.1:0"], {}, /data dir .* is not a writable directory/],
      [["-bogus"], {}, /unknown flag -bogus/],
    ];
    for (const [args, env, re] of cases) {
      const r = await runMain(args, env);
      assertEquals(r.code, 2, args.join(" "));
      assert(re.test(r.stderr), `${args.join(" ")}: ${r.stderr}`);
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  } finally {
    await Deno.remove(file);
  }
});

Deno.test({
  name:
    "server logs start-up and one redacted JSON line per request, then stops cleanly on SIGTERM",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir();
    const port = await freePort();
    const srv = await spawnServer([
      "-data-dir",
      dataDir,
      `-listen=127.0.0.1:${port}`,
      "-auth=false",
    ]);
    try {
      const start = srv.lines().find((l) => l.msg === "geckos3 started")!;
      assert(start, "start-up line");
      assertEquals([start.auth, start.data_dir, start.listen], [
        false,
        dataDir,
        `http://127.0.0.1:${port}`,
      ]);
      assert(
        srv.lines().some((l) =>
          l.level === "warn" && String(l.msg).includes("authentication is OFF")
        ),
      );

      const health = await fetch(`${srv.url}/health`);
      assertEquals([health.status, await health.text()], [200, "OK"]);
      const secret = "X-Amz-Signature=deadbeefcafe&X-Amz-Credential=AKIDEXAMPLE%2F20260101";
      const r = await fetch(`${srv.url}/nobucket/key?${secret}&x=1`);
      assertEquals(r.status, 404);
      const requestId = r.headers.get("x-amz-request-id");
      assert(requestId && r.headers.get("x-amz-id-2"));
      await r.body?.cancel();
      const line = await srv.waitFor((l) => l.request_id === requestId);
      for (
        const field of [
          "timestamp",
          "request_id",
          "method",
          "uri",
          "status",
          "duration_ms",
          "bytes",
          "client_ip",
        ]
      ) {
        assert(field in line, field);
      }
      assertEquals(line.status, 404);
      assert(!String(line.uri).includes("deadbeef"), String(line.uri));
      assert(!String(line.uri).includes("AKIDEXAMPLE"), String(line.uri));
      assert(String(line.uri).includes("X-Amz-Signature=REDACTED"));
      assertEquals(line.error_code, "NoSuchBucket");
    } finally {
      const code = await srv.stop("SIGTERM");
      assertEquals(code, 0);
      assert(srv.lines().some((l) => l.msg === "stopped"));
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "default credentials produce a warning; CORS preflight and headers are served",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir();
    const port = await freePort();
    const srv = await spawnServer(["-data-dir", dataDir, `-listen=127.0.0.1:${port}`]);
    try {
      assert(
        srv.lines().some((l) =>
          l.level === "warn" && String(l.msg).includes("default credentials")
        ),
      );
      const pre = await fetch(`${srv.url}/bucket/key`, {
        method: "OPTIONS",
        headers: {
          origin: "http://example.test",
          "access-control-request-method": "PUT",
          "access-control-request-headers": "content-type,x-amz-date",
        },
      });
      await pre.body?.cancel();
      assertEquals(pre.status, 204);
      assertEquals(pre.headers.get("access-control-allow-origin"), "http://example.test");
      assert(pre.headers.get("access-control-allow-methods")?.includes("PUT"));
      assertEquals(pre.headers.get("access-control-allow-headers"), "content-type,x-amz-date");
      assert(pre.headers.get("vary")?.includes("Origin"));
      const get = await fetch(`${srv.url}/health`, { headers: { origin: "http://example.test" } });
      await get.body?.cancel();
      const exposed = get.headers.get("access-control-expose-headers") ?? "";
      for (const h of ["ETag", "x-amz-request-id", "x-amz-version-id"]) {
        assert(exposed.includes(h), h);
      }
    } finally {
      assertEquals(await srv.stop("SIGINT"), 0);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("-healthcheck exits 0 against a live server and 1 against none (the Docker HEALTHCHECK)", async () => {
  const port = await freePort();
  const dataDir = await Deno.makeTempDir();
  assertEquals((await runMain(["-healthcheck", `-listen=127.0.0.1:${port}`])).code, 1);
  const server = await spawnServer([`-data-dir=${dataDir}`, `-listen=127.0.0.1:${port}`]);
  try {
    assertEquals((await runMain(["-healthcheck", `-listen=127.0.0.1:${port}`])).code, 0);
    // The image sets the listen address by env var only.
    assertEquals(
      (await runMain(["-healthcheck"], { GECKOS3_LISTEN: `127.0.0.1:${port}` })).code,
      0,
    );
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
  assertEquals((await runMain(["-healthcheck", `-listen=127.0.0.1:${port}`])).code, 1);
});

Deno.test({
  name: "SIGTERM while the server threads are still starting stops cleanly once they have",
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir();
  const port = await freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...START_FLAGS, MAIN, `-data-dir=${dataDir}`, `-listen=127.0.0.1:${port}`],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const output = new Response(child.stdout).text();
  try {
    // The first server answers /health before the others are up: signal at once.
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`);
        await r.body?.cancel();
        if (r.ok) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0);
    const messages = (await output).trim().split("\n").map((l) => JSON.parse(l).msg);
    assert(messages.includes("stopped"), messages.join(", "));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

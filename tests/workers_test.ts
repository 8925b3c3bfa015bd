/**
 * -workers: several server threads on one port and one data dir, as a user
 * runs them (`deno run main.ts` with the start task's flags). Every request
 * here comes on a new connection, so the kernel spreads them over the
 * workers; the data, continuation tokens and metrics must not depend on
 * which worker answers.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { freePort, spawnServer, START_FLAGS } from "./support/process.ts";
import { AUTO_WORKERS } from "../src/config/mod.ts";

/** A client without keep-alive: each request is a new connection. */
const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

async function call(method: string, url: string, body?: Uint8Array<ArrayBuffer>) {
  const r = await fetch(url, { method, body, client, headers: { connection: "close" } });
  const bytes = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, bytes, text: new TextDecoder().decode(bytes) };
}

/** The worker that answered: request ids start with a prefix of its own. */
const workerOf = (headers: Headers) => headers.get("x-amz-request-id")!.slice(0, 8);

Deno.test({
  name: "-workers=2: both threads serve, one store, tokens and metrics across workers",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const port = await freePort();
    const server = await spawnServer([
      `-data-dir=${dir}`,
      `-listen=127.0.0.1:${port}`,
      "-auth=false",
      "-workers=2",
    ]);
    try {
      const started = await server.waitFor((l) => l.msg === "geckos3 started");
      assertEquals(started.workers, 2);
      const base = `${server.url}/pool-bucket`;
      assertEquals((await call("PUT", base)).status, 200);

      const workers = new Set<string>();
      const bodies = new Map<string, Uint8Array<ArrayBuffer>>();
      const etags = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        const key = `k${String(i).padStart(2, "0")}`;
        const body = new TextEncoder().encode(`object ${i} `.repeat(i + 1)) as Uint8Array<
          ArrayBuffer
        >;
        const put = await call("PUT", `${base}/${key}`, body);
        assertEquals(put.status, 200, put.text);
        workers.add(workerOf(put.headers));
        bodies.set(key, body);
        etags.set(key, put.headers.get("etag")!);
      }
      // Read back on new connections: whichever worker wrote, every worker reads the same.
      for (const [key, body] of bodies) {
        const got = await call("GET", `${base}/${key}`);
        assertEquals(got.status, 200);
        assertEquals(got.bytes, body, key);
        assertEquals(got.headers.get("etag"), etags.get(key));
        workers.add(workerOf(got.headers));
      }
      assertEquals(workers.size, 2, `answered by ${[...workers].join(", ")}`);

      // A continuation token made by one worker is taken by the other.
      const listed: string[] = [];
      let token = "";
      for (let page = 0; page < 20; page++) {
        const q = `list-type=2&max-keys=7${
          token ? `&continuation-token=${encodeURIComponent(token)}` : ""
        }`;
        const r = await call("GET", `${base}?${q}`);
        assertEquals(r.status, 200, r.text);
        listed.push(...[...r.text.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]));
        const next = /<NextContinuationToken>([^<]+)</.exec(r.text);
        if (!next) break;
        token = next[1];
      }
      assertEquals(listed, [...bodies.keys()]);

      // /metrics counts the requests of both workers, whichever one answers it.
      for (let i = 0; i < 4; i++) {
        const m = await call("GET", `${server.url}/metrics`);
        assert(
          m.text.includes(`geckos3_requests_total{operation="PutObject",status="200"} 40\n`),
          m.text,
        );
        assert(m.text.includes(`geckos3_requests_total{operation="GetObject",status="200"} 40\n`));
      }
    } finally {
      assertEquals(await server.stop("SIGTERM"), 0);
      assert(server.lines().some((l) => l.msg === "stopped"));
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "-workers auto (the default): one thread per core up to two, with plain `deno run -A main.ts` too; without --unstable-net, one and no crash",
  sanitizeResources: false,
  fn: async () => {
    const linux = Deno.build.os === "linux";
    const both = linux ? Math.min(navigator.hardwareConcurrency, AUTO_WORKERS) : 1;
    const withoutUnstableNet = START_FLAGS.filter((f) => f !== "--unstable-net");
    assert(
      withoutUnstableNet.length < START_FLAGS.length,
      "the start task asks for --unstable-net",
    );
    // deno.json turns --unstable-net on for every command run here; a config without it stands
    // for a deno.json that does not (npm packages from Deno's cache, no node_modules beside it).
    const configDir = await Deno.makeTempDir();
    const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
    delete config.unstable;
    config.nodeModulesDir = "none";
    await Deno.writeTextFile(`${configDir}/deno.json`, JSON.stringify(config));
    const noUnstable = [...withoutUnstableNet, `--config=${configDir}/deno.json`, "--no-lock"];
    const cases: { flags: string[]; args: string[]; threads: number; warns: boolean }[] = [
      { flags: START_FLAGS, args: [], threads: both, warns: false },
      { flags: ["-A"], args: [], threads: both, warns: false },
      { flags: noUnstable, args: [], threads: 1, warns: false },
      { flags: noUnstable, args: ["-workers=2"], threads: 1, warns: true },
    ];
    for (const c of cases) {
      const dir = await Deno.makeTempDir();
      const port = await freePort();
      const server = await spawnServer(
        [`-data-dir=${dir}`, `-listen=127.0.0.1:${port}`, "-auth=false", ...c.args],
        {},
        c.flags,
      );
      const what = `${c.flags.join(" ")} ${c.args.join(" ")}`;
      try {
        const started = await server.waitFor((l) => l.msg === "geckos3 started");
        assertEquals(started.workers, c.threads, what);
        const base = `${server.url}/auto-bucket`;
        assertEquals((await call("PUT", base)).status, 200);
        const body = new TextEncoder().encode("served");
        assertEquals((await call("PUT", `${base}/k`, body)).status, 200);
        const workers = new Set<string>();
        for (let i = 0; i < 20; i++) {
          const got = await call("GET", `${base}/k`);
          assertEquals(got.text, "served");
          workers.add(workerOf(got.headers));
        }
        assertEquals(workers.size, c.threads, what);
        const warned = server.lines().some((l) =>
          l.level === "warn" && String(l.msg).includes("SO_REUSEPORT")
        );
        assertEquals(warned, c.warns, what);
      } finally {
        assertEquals(await server.stop("SIGTERM"), 0, what);
        await Deno.remove(dir, { recursive: true });
      }
    }
    await Deno.remove(configDir, { recursive: true });
  },
});

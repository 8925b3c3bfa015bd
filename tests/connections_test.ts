/**
 * No one stops the server by opening connections: a client that sends its
 * request head too slowly (or nothing at all) is cut off after
 * -header-timeout, an idle keep-alive connection after -idle-timeout, and a
 * flood of silent connections past the open-file limit leaves the server
 * answering signed requests once they are gone.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "./deps/aws_sdk.ts";
import { judge } from "../src/front/connection_guard.ts";
import { bytesOf, sdkClient, startTestServer } from "./support/server.ts";
import { freePort, spawnServer } from "./support/process.ts";
import { assert, assertEquals } from "./support/assert.ts";

const enc = new TextEncoder();

/** Milliseconds until the server closes `conn` (reads return end-of-stream or fail), or -1 after `limitMs`. */
async function closedWithin(conn: Deno.Conn, limitMs: number, trickle?: () => Promise<void>) {
  const started = Date.now();
  const buf = new Uint8Array(4096);
  let done = false;
  const reader = (async () => {
    try {
      while ((await conn.read(buf)) !== null) { /* a response would be read here */ }
    } catch { /* reset */ }
    done = true;
  })();
  while (!done && Date.now() - started < limitMs) {
    await new Promise((r) => setTimeout(r, 250));
    if (!done && trickle) await trickle().catch(() => {});
  }
  const took = done ? Date.now() - started : -1;
  conn.close();
  await reader;
  return took;
}

Deno.test({
  name:
    "slow and silent request heads are cut off after -header-timeout; idle ones after -idle-timeout",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startTestServer({ headerTimeoutSeconds: 2, idleTimeoutSeconds: 4 });
    try {
      const port = Number(new URL(t.url).port);
      // One header line every 250 ms: never a whole head.
      const slow = await Deno.connect({ hostname: "127.0.0.1", port });
      await slow.write(enc.encode("GET /x/y HTTP/1.1\r\nHost: x\r\n"));
      let n = 0;
      const slowMs = await closedWithin(
        slow,
        8000,
        () => slow.write(enc.encode(`X-${n++}: a\r\n`)).then(() => {}),
      );
      assert(slowMs >= 1500 && slowMs <= 4500, `slow head cut after ${slowMs} ms`);
      // Connected and silent.
      const silent = await Deno.connect({ hostname: "127.0.0.1", port });
      const silentMs = await closedWithin(silent, 8000);
      assert(silentMs >= 1500 && silentMs <= 4500, `silent connection cut after ${silentMs} ms`);
      // A whole request, then idle on a kept-alive connection: the idle timeout, not the header one.
      const idle = await Deno.connect({ hostname: "127.0.0.1", port });
      await idle.write(enc.encode("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
      const idleMs = await closedWithin(idle, 10000);
      assert(idleMs >= 3500 && idleMs <= 7000, `idle connection cut after ${idleMs} ms`);
      // A slow head after a first request on the same connection is cut by the header timeout.
      const again = await Deno.connect({ hostname: "127.0.0.1", port });
      await again.write(
        enc.encode("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\n"),
      );
      const againMs = await closedWithin(
        again,
        10000,
        () => again.write(enc.encode(`X-${n++}: a\r\n`)).then(() => {}),
      );
      assert(againMs >= 1500 && againMs <= 4500, `second slow head cut after ${againMs} ms`);
      // A long download is not idle: the server keeps sending.
      await t.s3.send(new CreateBucketCommand({ Bucket: "keep" }));
      const big = new Uint8Array(8 * 1024 * 1024);
      await t.s3.send(new PutObjectCommand({ Bucket: "keep", Key: "big", Body: big }));
      const res = await t.s3.send(new GetObjectCommand({ Bucket: "keep", Key: "big" }));
      const reader = (res.Body as ReadableStream<Uint8Array>).getReader?.() ??
        (res.Body as { transformToWebStream(): ReadableStream<Uint8Array> }).transformToWebStream()
          .getReader();
      let got = 0;
      const started = Date.now();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        got += value.byteLength;
        // Read slowly: the transfer lasts longer than the header timeout.
        if (Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 30));
      }
      assertEquals(got, big.byteLength);
    } finally {
      await t.close();
    }
  },
});

Deno.test("the guard's rules, connection by connection", () => {
  const limits = { headerTimeoutMs: 2000, idleTimeoutMs: 4000, maxConnections: 0 };
  const fresh = () => ({
    firstSeen: 0,
    started: 0,
    bytesWhenIdle: null,
    headSince: null,
    requestSeen: false,
  });
  const quiet = { quietInMs: 0, quietOutMs: 0, bytesReceived: 0n };
  // Never a request: the header timeout counts from the first sight.
  const a = fresh();
  assertEquals(judge(quiet, { inflight: 0, started: 0 }, a, limits, 1500), null);
  assertEquals(judge(quiet, { inflight: 0, started: 0 }, a, limits, 2500), "header timeout");
  // A request in flight is never cut, however long.
  const b = fresh();
  const silentLong = { quietInMs: 99999, quietOutMs: 99999, bytesReceived: 10n };
  assertEquals(judge(silentLong, { inflight: 1, started: 1 }, b, limits, 99999), null);
  // After it: idle counts from the last byte either way.
  assertEquals(
    judge({ ...silentLong, quietInMs: 3000 }, { inflight: 0, started: 1 }, b, limits, 1e5),
    null,
  );
  assertEquals(judge(silentLong, { inflight: 0, started: 1 }, b, limits, 1e5 + 1), "idle timeout");
  // Bytes after a request with none started: a head being sent, bounded by the header timeout.
  const c = fresh();
  assertEquals(
    judge({ ...quiet, bytesReceived: 100n }, { inflight: 0, started: 1 }, c, limits, 0),
    null,
  );
  assertEquals(
    judge({ ...quiet, bytesReceived: 120n }, { inflight: 0, started: 1 }, c, limits, 1000),
    null,
  );
  assertEquals(
    judge({ ...quiet, bytesReceived: 140n }, { inflight: 0, started: 1 }, c, limits, 3500),
    "header timeout",
  );
  // Limits of 0 are off.
  const off = { headerTimeoutMs: 0, idleTimeoutMs: 0, maxConnections: 0 };
  assertEquals(judge(silentLong, { inflight: 0, started: 0 }, fresh(), off, 1e9), null);
});

Deno.test({
  name: "a flood of silent connections past the open-file limit leaves the server serving",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = await freePort();
    const dataDir = await Deno.makeTempDir({ prefix: "geckos3-flood-" });
    const srv = await spawnServer(
      [
        `-data-dir=${dataDir}`,
        `-listen=127.0.0.1:${port}`,
        "-header-timeout=2s",
        "-workers=1",
      ],
      {},
      undefined,
      ["prlimit", "--nofile=256:256"],
    );
    const s3 = sdkClient(srv.url);
    const flood: Deno.Conn[] = [];
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "alive" }));
      await s3.send(new PutObjectCommand({ Bucket: "alive", Key: "k", Body: "still here" }));
      // More connections than the process has descriptors: the kernel completes them
      // (listen backlog) whether or not the server can accept them.
      let refused = 0;
      for (let i = 0; i < 400; i++) {
        try {
          flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch {
          refused++; // while the server pauses accepting
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      assert(flood.length >= 200, `only ${flood.length} connections opened`);
      await srv.waitFor((l) => l.msg === "accepting connections failed; serving again shortly");
      assert(flood.length + refused === 400);
      await new Promise((r) => setTimeout(r, 4000));
      for (const c of flood) c.close();
      flood.length = 0;
      // Once they are gone (closed by the guard or by us), signed requests are answered.
      let text = "";
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        try {
          const got = await s3.send(new GetObjectCommand({ Bucket: "alive", Key: "k" }));
          text = new TextDecoder().decode(await bytesOf(got.Body));
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      assertEquals(text, "still here");
      assert(srv.lines().some((l) => l.msg === "closed connections"), "the guard closed some");
      // The guard kept working with every descriptor taken (it holds one in reserve).
      assert(!srv.lines().some((l) => l.msg === "connection scan failed"), "a scan failed");
      assertEquals(srv.child.pid > 0, true);
    } finally {
      for (const c of flood) c.close();
      s3.destroy();
      const code = await srv.stop("SIGTERM");
      assertEquals(code, 0);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

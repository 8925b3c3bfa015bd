/** Large objects (one and four streams) and the server's memory while they move. */
import { type Bench, pool } from "./context.ts";
import { curlArgs, curlTimed } from "./drivers.ts";
import { fmtSize } from "./report.ts";
import { measured } from "./system.ts";
import type { Endpoint, Result } from "./types.ts";

/** 1 GiB-class transfers with one and four streams: `ops` of PUT and GET, in that order. */
export async function largeObjects(
  b: Bench,
  ep: Endpoint,
  file: string,
  size: number,
  ops: readonly ("PUT" | "GET")[] = ["PUT", "GET"],
): Promise<Result[]> {
  const bucket = "bench-large";
  await b.request("PUT", `${ep.url}/${bucket}`).catch(() => {});
  const results: Result[] = [];
  for (const streams of [1, 4]) {
    const keys = Array.from(
      { length: streams },
      // A key per b.round: no b.round pays for freeing the blocks of the one before.
      (_, i) => `${ep.url}/${bucket}/big-${streams}-${i}-r${b.round}`,
    );
    for (const op of ops) {
      if (op === "PUT") await warmPageCache(streams * size);
      results.push(
        await measured(b, ep, async () => {
          const r = await curlTimed(keys.map((k) => curlArgs(b, op, k, file)));
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

/** A sparse file of `size` zero bytes (no disk space for the source of an upload). */
export async function sparseFile(size: number): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "geckos3-bench-sparse-" });
  await Deno.truncate(path, size);
  return path;
}

/**
 * The server's peak RSS while one very large object is uploaded and then
 * downloaded, and while 64 objects of 64 MiB are uploaded, then downloaded,
 * all at once.
 */
export async function memory(b: Bench, ep: Endpoint, largeSize: number): Promise<Result[]> {
  const bucket = "bench-memory";
  await b.request("PUT", `${ep.url}/${bucket}`).catch(() => {});
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
        await measured(b, ep, async () => {
          const put = await curlTimed(keys.map((k) => curlArgs(b, "PUT", k, source)));
          const get = await curlTimed(keys.map((k) => curlArgs(b, "GET", k)));
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
      await pool(keys, 8, async (k) => void (await b.request("DELETE", k)).body?.cancel());
    }
  }
  return results;
}

/**
 * Prometheus metrics: requests by operation and status, latency histograms
 * by operation, bytes in and out, requests in flight, and (computed lazily,
 * cached briefly) objects and bytes stored per bucket.
 */
import type { FsStorage } from "./storage/fs.ts";
import { SEP } from "./storage/paths.ts";

const BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const USAGE_TTL_MS = 30_000;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** Request metrics of one server. */
export class Metrics {
  #requests = new Map<string, number>();
  #latency = new Map<string, Histogram>();
  #bytesIn = 0;
  #bytesOut = 0;
  /** Requests being served right now. */
  inflight = 0;
  #usage: { at: number; text: string } | null = null;

  /** Records one finished request. */
  record(op: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void {
    const key = `${op}\u0000${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(op);
    if (!h) {
      h = { counts: new Array(BUCKETS_S.length).fill(0), sum: 0, count: 0 };
      this.#latency.set(op, h);
    }
    for (let i = 0; i < BUCKETS_S.length; i++) {
      if (seconds <= BUCKETS_S[i]) {
        h.counts[i]++;
        break;
      }
    }
    h.sum += seconds;
    h.count++;
    if (bytesIn > 0) this.#bytesIn += bytesIn;
    if (bytesOut > 0) this.#bytesOut += bytesOut;
  }

  /** Renders the Prometheus text exposition format. */
  async render(storage: FsStorage): Promise<string> {
    const out: string[] = [];
    out.push("# HELP geckos3_requests_total Requests served, by S3 operation and HTTP status.");
    out.push("# TYPE geckos3_requests_total counter");
    for (const [key, n] of this.#requests) {
      const [op, status] = key.split("\u0000");
      out.push(`geckos3_requests_total{operation="${op}",status="${status}"} ${n}`);
    }
    out.push("# HELP geckos3_request_duration_seconds Request latency by S3 operation.");
    out.push("# TYPE geckos3_request_duration_seconds histogram");
    for (const [op, h] of this.#latency) {
      let cumulative = 0;
      for (let i = 0; i < BUCKETS_S.length; i++) {
        cumulative += h.counts[i];
        out.push(
          `geckos3_request_duration_seconds_bucket{operation="${op}",le="${
            BUCKETS_S[i]
          }"} ${cumulative}`,
        );
      }
      out.push(`geckos3_request_duration_seconds_bucket{operation="${op}",le="+Inf"} ${h.count}`);
      out.push(`geckos3_request_duration_seconds_sum{operation="${op}"} ${h.sum}`);
      out.push(`geckos3_request_duration_seconds_count{operation="${op}"} ${h.count}`);
    }
    out.push("# HELP geckos3_received_bytes_total Request body bytes received.");
    out.push("# TYPE geckos3_received_bytes_total counter");
    out.push(`geckos3_received_bytes_total ${this.#bytesIn}`);
    out.push("# HELP geckos3_sent_bytes_total Response body bytes sent.");
    out.push("# TYPE geckos3_sent_bytes_total counter");
    out.push(`geckos3_sent_bytes_total ${this.#bytesOut}`);
    out.push("# HELP geckos3_requests_in_flight Requests being served.");
    out.push("# TYPE geckos3_requests_in_flight gauge");
    out.push(`geckos3_requests_in_flight ${this.inflight}`);
    out.push(await this.#bucketUsage(storage));
    return out.join("\n") + "\n";
  }

  async #bucketUsage(storage: FsStorage): Promise<string> {
    if (this.#usage && Date.now() - this.#usage.at < USAGE_TTL_MS) return this.#usage.text;
    const lines = [
      "# HELP geckos3_bucket_objects Objects stored per bucket (refreshed at most every 30 s).",
      "# TYPE geckos3_bucket_objects gauge",
    ];
    const bytes = [
      "# HELP geckos3_bucket_bytes Bytes stored per bucket (refreshed at most every 30 s).",
      "# TYPE geckos3_bucket_bytes gauge",
    ];
    for (const b of await storage.listBuckets()) {
      const u = await usage(storage.bucketDir(b.name));
      lines.push(`geckos3_bucket_objects{bucket="${b.name}"} ${u.objects}`);
      bytes.push(`geckos3_bucket_bytes{bucket="${b.name}"} ${u.bytes}`);
    }
    const text = [...lines, ...bytes].join("\n");
    this.#usage = { at: Date.now(), text };
    return text;
  }
}

async function usage(dir: string): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    try {
      for await (const e of Deno.readDir(d)) {
        const p = d + SEP + e.name;
        if (e.isDirectory) stack.push(p);
        else if (e.isFile) {
          objects++;
          try {
            bytes += (await Deno.stat(p)).size;
          } catch {
            // removed meanwhile
          }
        }
      }
    } catch {
      // removed meanwhile
    }
  }
  return { objects, bytes };
}

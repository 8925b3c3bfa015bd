/**
 * Prometheus metrics: requests by operation and status, latency histograms
 * by operation, bytes in and out, requests in flight, and (computed lazily,
 * cached briefly) objects and bytes stored per bucket.
 */
import type { BucketUsage, Storage } from "../storage/mod.ts";
import { type HistoryStep, MetricsHistory } from "./admin/history.ts";
import { type ActivityEntry, ActivityRing } from "./admin/activity.ts";

const BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const USAGE_TTL_MS = 30_000;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** A server's counters as plain data, to add up those of several servers in one process. */
export interface MetricsSnapshot {
  requests: [string, number][];
  latency: [string, Histogram][];
  bytesIn: number;
  bytesOut: number;
  inflight: number;
  /** Lifecycle actions taken, by kind (the primary server's scanner). */
  lifecycle: [string, number][];
  /** Event notifications by target and state (`target\0state`). */
  notifications: [string, number][];
  /** The last hour in steps, for the console (only when asked for in full). */
  history?: HistoryStep[];
  /** The most recent requests, for the console (only when asked for in full). */
  activity?: ActivityEntry[];
}

/** Objects and bytes stored, as last counted. */
export interface UsageReport {
  /** When the count was made (ms since the epoch). */
  at: number;
  buckets: BucketUsage[];
  /** The buckets' counts added up. */
  totals: { objects: number; bytes: number; noncurrentVersions: number; noncurrentBytes: number };
}

/** Request metrics of one server. */
export class Metrics {
  #requests = new Map<string, number>();
  #latency = new Map<string, Histogram>();
  #bytesIn = 0;
  #bytesOut = 0;
  /** Requests being served right now. */
  inflight = 0;
  #usage: UsageReport | null = null;
  /** The last hour of requests (the console's dashboard). */
  readonly history = new MetricsHistory();
  /** The most recent requests (the console's activity page). */
  readonly activity = new ActivityRing();
  /** The walk under way, shared by every scrape that needs it. */
  #refreshing: Promise<void> | null = null;
  #walks = 0;
  #lifecycle = new Map<string, number>();
  #notifications = new Map<string, number>();

  /** Counts event notifications of `target` that were queued, delivered, retried or dropped. */
  recordNotification(target: string, state: string, n = 1): void {
    const key = `${target}\u0000${state}`;
    this.#notifications.set(key, (this.#notifications.get(key) ?? 0) + n);
  }

  /** Records lifecycle actions taken, by kind (`expired`, `noncurrentRemoved`, ...). */
  recordLifecycle(counts: Readonly<Record<string, number>>): void {
    for (const [kind, n] of Object.entries(counts)) {
      this.#lifecycle.set(kind, (this.#lifecycle.get(kind) ?? 0) + n);
    }
  }

  /** This server's counters now; `full` adds the history and the recent requests. */
  snapshot(full = false): MetricsSnapshot {
    return {
      ...(full ? { history: this.history.steps(), activity: this.activity.entries() } : {}),
      requests: [...this.#requests],
      latency: [...this.#latency],
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      inflight: this.inflight,
      lifecycle: [...this.#lifecycle],
      notifications: [...this.#notifications],
    };
  }

  /** Records one finished request. */
  record(op: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void {
    const key = `${op}\u0000${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(op);
    if (!h) {
      h = emptyHistogram();
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
    this.history.record({ status, seconds, bytesIn, bytesOut });
  }

  /**
   * Renders the Prometheus text exposition format: this server's counters
   * plus those of `peers` (the other servers of the same process).
   */
  async render(
    storage: Storage,
    peers: readonly MetricsSnapshot[] = [],
    perBucket = true,
  ): Promise<string> {
    const { requests, latency, bytesIn, bytesOut, inflight, lifecycle, notifications } = sum([
      this.snapshot(),
      ...peers,
    ]);
    const out: string[] = [];
    out.push("# HELP geckos3_requests_total Requests served, by S3 operation and HTTP status.");
    out.push("# TYPE geckos3_requests_total counter");
    for (const [key, n] of requests) {
      const [op, status] = key.split("\u0000");
      out.push(`geckos3_requests_total{operation="${op}",status="${status}"} ${n}`);
    }
    out.push("# HELP geckos3_request_duration_seconds Request latency by S3 operation.");
    out.push("# TYPE geckos3_request_duration_seconds histogram");
    for (const [op, h] of latency) {
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
    out.push(`geckos3_received_bytes_total ${bytesIn}`);
    out.push("# HELP geckos3_sent_bytes_total Response body bytes sent.");
    out.push("# TYPE geckos3_sent_bytes_total counter");
    out.push(`geckos3_sent_bytes_total ${bytesOut}`);
    out.push("# HELP geckos3_requests_in_flight Requests being served.");
    out.push("# TYPE geckos3_requests_in_flight gauge");
    out.push(`geckos3_requests_in_flight ${inflight}`);
    out.push("# HELP geckos3_lifecycle_actions_total Lifecycle rule actions taken, by kind.");
    out.push("# TYPE geckos3_lifecycle_actions_total counter");
    for (const [kind, n] of lifecycle) {
      out.push(`geckos3_lifecycle_actions_total{action="${kind}"} ${n}`);
    }
    out.push(
      "# HELP geckos3_notification_events_total Event notifications by target: queued, delivered, retried, dropped.",
    );
    out.push("# TYPE geckos3_notification_events_total counter");
    for (const [key, n] of notifications) {
      const [target, state] = key.split("\u0000");
      out.push(`geckos3_notification_events_total{target="${target}",state="${state}"} ${n}`);
    }
    const usage = usageText(await this.usage(storage));
    out.push(perBucket ? usage.perBucket : usage.totals);
    out.push(
      "# HELP geckos3_usage_walks_total Walks of the store made to count objects and bytes.",
    );
    out.push("# TYPE geckos3_usage_walks_total counter");
    out.push(`geckos3_usage_walks_total ${this.#walks}`);
    return out.join("\n") + "\n";
  }

  /**
   * Objects and bytes stored: at most one walk at a time, whoever asks, at
   * most every USAGE_TTL_MS; while a stale value refreshes it is served as is
   * (a walk of a large store takes seconds, and scrapes must not pile up).
   * `maxAgeMs` asks for a count at most that old (the console, after a change).
   */
  async usage(storage: Storage, maxAgeMs = USAGE_TTL_MS): Promise<UsageReport> {
    const fresh = this.#usage && Date.now() - this.#usage.at < maxAgeMs;
    if (!fresh && !this.#refreshing) {
      this.#refreshing = this.#walk(storage).finally(() => (this.#refreshing = null));
    }
    if (this.#usage && maxAgeMs >= USAGE_TTL_MS) return this.#usage;
    if (!fresh) await this.#refreshing;
    return this.#usage!;
  }

  async #walk(storage: Storage): Promise<void> {
    this.#walks++;
    const at = Date.now();
    const buckets = await storage.usage();
    const totals = { objects: 0, bytes: 0, noncurrentVersions: 0, noncurrentBytes: 0 };
    for (const b of buckets) {
      totals.objects += b.objects;
      totals.bytes += b.bytes;
      totals.noncurrentVersions += b.noncurrentVersions;
      totals.noncurrentBytes += b.noncurrentBytes;
    }
    this.#usage = { at, buckets, totals };
  }
}

/** The usage gauges as Prometheus text: per bucket and totals, and totals alone. */
function usageText(report: UsageReport): { perBucket: string; totals: string } {
  const lines = [
    "# HELP geckos3_bucket_objects Objects stored per bucket (refreshed at most every 30 s).",
    "# TYPE geckos3_bucket_objects gauge",
  ];
  const bytes = [
    "# HELP geckos3_bucket_bytes Bytes stored per bucket (refreshed at most every 30 s).",
    "# TYPE geckos3_bucket_bytes gauge",
  ];
  const versions = [
    "# HELP geckos3_bucket_noncurrent_versions Noncurrent versions kept per bucket (refreshed at most every 30 s).",
    "# TYPE geckos3_bucket_noncurrent_versions gauge",
  ];
  const versionBytes = [
    "# HELP geckos3_bucket_noncurrent_bytes Bytes of noncurrent versions per bucket (refreshed at most every 30 s).",
    "# TYPE geckos3_bucket_noncurrent_bytes gauge",
  ];
  const markers = [
    "# HELP geckos3_bucket_delete_markers Delete markers per bucket (refreshed at most every 30 s).",
    "# TYPE geckos3_bucket_delete_markers gauge",
  ];
  for (const u of report.buckets) {
    const label = `{bucket="${u.bucket}"}`;
    lines.push(`geckos3_bucket_objects${label} ${u.objects}`);
    bytes.push(`geckos3_bucket_bytes${label} ${u.bytes}`);
    versions.push(`geckos3_bucket_noncurrent_versions${label} ${u.noncurrentVersions}`);
    versionBytes.push(`geckos3_bucket_noncurrent_bytes${label} ${u.noncurrentBytes}`);
    markers.push(`geckos3_bucket_delete_markers${label} ${u.deleteMarkers}`);
  }
  const { objects, bytes: total, noncurrentVersions: noncurrent, noncurrentBytes } = report.totals;
  const totals = [
    "# HELP geckos3_stored_objects Objects stored (refreshed at most every 30 s).",
    "# TYPE geckos3_stored_objects gauge",
    `geckos3_stored_objects ${objects}`,
    "# HELP geckos3_stored_bytes Bytes stored (refreshed at most every 30 s).",
    "# TYPE geckos3_stored_bytes gauge",
    `geckos3_stored_bytes ${total}`,
    "# HELP geckos3_stored_noncurrent_versions Noncurrent versions kept (refreshed at most every 30 s).",
    "# TYPE geckos3_stored_noncurrent_versions gauge",
    `geckos3_stored_noncurrent_versions ${noncurrent}`,
    "# HELP geckos3_stored_noncurrent_bytes Bytes of noncurrent versions (refreshed at most every 30 s).",
    "# TYPE geckos3_stored_noncurrent_bytes gauge",
    `geckos3_stored_noncurrent_bytes ${noncurrentBytes}`,
  ].join("\n");
  return {
    perBucket: [...lines, ...bytes, ...versions, ...versionBytes, ...markers].join("\n") + "\n" +
      totals,
    totals,
  };
}

function emptyHistogram(): Histogram {
  return { counts: new Array(BUCKETS_S.length).fill(0), sum: 0, count: 0 };
}

/** Adds up snapshots: counters, histograms and requests in flight. */
function sum(snapshots: readonly MetricsSnapshot[]) {
  const requests = new Map<string, number>();
  const latency = new Map<string, Histogram>();
  const lifecycle = new Map<string, number>();
  const notifications = new Map<string, number>();
  let bytesIn = 0, bytesOut = 0, inflight = 0;
  for (const s of snapshots) {
    for (const [kind, n] of s.lifecycle ?? []) lifecycle.set(kind, (lifecycle.get(kind) ?? 0) + n);
    for (const [key, n] of s.notifications ?? []) {
      notifications.set(key, (notifications.get(key) ?? 0) + n);
    }
    for (const [key, n] of s.requests) requests.set(key, (requests.get(key) ?? 0) + n);
    for (const [op, h] of s.latency) {
      const total = latency.get(op) ?? emptyHistogram();
      h.counts.forEach((n, i) => total.counts[i] += n);
      total.sum += h.sum;
      total.count += h.count;
      latency.set(op, total);
    }
    bytesIn += s.bytesIn;
    bytesOut += s.bytesOut;
    inflight += s.inflight;
  }
  return { requests, latency, bytesIn, bytesOut, inflight, lifecycle, notifications };
}

/**
 * The other servers of a worker pool, asked for their counters over a
 * BroadcastChannel named after the pool: every server answers, so whichever
 * one a /metrics request reaches can report the whole process.
 */
export class MetricsPeers {
  readonly #channel: BroadcastChannel;
  readonly #waiting = new Map<string, (s: MetricsSnapshot) => void>();

  /** Joins pool `poolId`, answering with `local`'s counters; `peers` is how many others there are. */
  constructor(poolId: string, local: Metrics, private readonly peers: number) {
    this.#channel = new BroadcastChannel(`geckos3-metrics-${poolId}`);
    this.#channel.onmessage = (e: MessageEvent) => {
      const msg = e.data as {
        ask?: string;
        full?: boolean;
        answer?: string;
        snapshot?: MetricsSnapshot;
      };
      if (msg.ask) {
        this.#channel.postMessage({ answer: msg.ask, snapshot: local.snapshot(msg.full) });
      } else if (msg.answer && msg.snapshot) this.#waiting.get(msg.answer)?.(msg.snapshot);
    };
  }

  /** The others' counters (`full`: with history and activity): those that answered within `timeoutMs`. */
  collect(timeoutMs = 500, full = false): Promise<MetricsSnapshot[]> {
    const id = crypto.randomUUID();
    const got: MetricsSnapshot[] = [];
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(got);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiting.set(id, (s) => {
        got.push(s);
        if (got.length >= this.peers) done();
      });
      this.#channel.postMessage({ ask: id, full });
    });
  }

  /** Leaves the pool. */
  close(): void {
    this.#channel.close();
  }
}

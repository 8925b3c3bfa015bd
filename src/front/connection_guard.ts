/**
 * Keeps connections from holding the server hostage: a connection that does
 * not send a whole request head in time (slowloris, or silence after
 * connecting), one idle between requests for too long, and the idlest ones
 * beyond the connection cap are closed. Go's http.Server calls the first two
 * ReadHeaderTimeout and IdleTimeout.
 *
 * Requests are counted per peer port in shared memory by every server thread
 * of the process (RequestActivity); one guard per process looks at the
 * kernel's view of each connection once a second (sockets.ts) and decides.
 */
import type { ServerSocket, SocketApi } from "./sockets.ts";
import { logEvent } from "../log.ts";

const SLOTS = 65536;
const INFLIGHT = 0;
const STARTED = 1;
const FIELDS = 2;

/** Requests in flight and started, per peer port, shared by the threads of one process. */
export class RequestActivity {
  readonly #cells: Int32Array;

  /** Over `buffer` (from `RequestActivity.buffer()`), or a new one. */
  constructor(readonly buffer: SharedArrayBuffer = RequestActivity.newBuffer()) {
    this.#cells = new Int32Array(buffer);
  }

  /** Shared memory for a table: pass it to every server thread of the process. */
  static newBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(SLOTS * FIELDS * Int32Array.BYTES_PER_ELEMENT);
  }

  /** A request from `port` was read and is being served. */
  begin(port: number): void {
    const at = (port & (SLOTS - 1)) * FIELDS;
    Atomics.add(this.#cells, at + INFLIGHT, 1);
    Atomics.add(this.#cells, at + STARTED, 1);
  }

  /** The request from `port` has been answered (its body may still be streaming). */
  end(port: number): void {
    Atomics.sub(this.#cells, (port & (SLOTS - 1)) * FIELDS + INFLIGHT, 1);
  }

  /** Requests from `port` being served now. */
  inflight(port: number): number {
    return Atomics.load(this.#cells, (port & (SLOTS - 1)) * FIELDS + INFLIGHT);
  }

  /** Requests from `port` started so far (wraps). */
  started(port: number): number {
    return Atomics.load(this.#cells, (port & (SLOTS - 1)) * FIELDS + STARTED);
  }
}

/** Limits the guard enforces; 0 turns one off. */
export interface GuardLimits {
  /** Time to send a whole request head: from connecting, or from its first byte. */
  headerTimeoutMs: number;
  /** Time a connection may stay silent with no request in flight. */
  idleTimeoutMs: number;
  /** Connections kept at most; the idlest beyond it are closed. */
  maxConnections: number;
}

interface Tracked {
  firstSeen: number;
  started: number;
  /** Bytes received when the connection was last seen waiting for a request. */
  bytesWhenIdle: bigint | null;
  /** When bytes of an unfinished request head were first seen. */
  headSince: number | null;
  requestSeen: boolean;
}

/** Why a connection is closed, or null to keep it. */
export type Verdict = "header timeout" | "idle timeout" | null;

/**
 * The decision for one connection at time `now`, updating what is tracked
 * of it. Pure but for `tracked`: tested without sockets.
 */
export function judge(
  socket: Pick<ServerSocket, "quietInMs" | "quietOutMs" | "bytesReceived">,
  activity: { inflight: number; started: number },
  tracked: Tracked,
  limits: GuardLimits,
  now: number,
): Verdict {
  if (activity.started !== tracked.started) {
    tracked.started = activity.started;
    tracked.requestSeen = true;
    tracked.headSince = null;
    tracked.bytesWhenIdle = null;
  }
  if (activity.inflight > 0) {
    tracked.headSince = null;
    tracked.bytesWhenIdle = null;
    return null;
  }
  const { headerTimeoutMs, idleTimeoutMs } = limits;
  if (!tracked.requestSeen) {
    return headerTimeoutMs > 0 && now - tracked.firstSeen > headerTimeoutMs
      ? "header timeout"
      : null;
  }
  // Between requests: bytes arriving with no request started are an unfinished head.
  if (tracked.bytesWhenIdle === null) tracked.bytesWhenIdle = socket.bytesReceived;
  else if (socket.bytesReceived > tracked.bytesWhenIdle) tracked.headSince ??= now;
  if (
    headerTimeoutMs > 0 && tracked.headSince !== null && now - tracked.headSince > headerTimeoutMs
  ) {
    return "header timeout";
  }
  const quiet = Math.min(socket.quietInMs, socket.quietOutMs);
  return idleTimeoutMs > 0 && quiet > idleTimeoutMs ? "idle timeout" : null;
}

/** The once-a-second look at every connection of one port. */
export class ConnectionGuard {
  readonly #tracked = new Map<string, Tracked>();
  readonly #timer: ReturnType<typeof setInterval>;

  /** Starts watching the connections to `port`. */
  constructor(
    private readonly sockets: SocketApi,
    private readonly activity: RequestActivity,
    private readonly port: number,
    private readonly limits: GuardLimits,
  ) {
    this.#timer = setInterval(() => this.scan(), 1000);
    Deno.unrefTimer(this.#timer);
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** Looks at every connection once: closes those past a limit. Returns how many it closed. */
  scan(now = performance.now()): number {
    let sockets: ServerSocket[];
    try {
      sockets = this.sockets.connections(this.port);
    } catch (e) {
      logEvent("warn", "connection scan failed", { error: String(e) });
      return 0;
    }
    const seen = new Set<string>();
    const keep: { socket: ServerSocket; idle: boolean }[] = [];
    const closed: Record<string, number> = {};
    for (const socket of sockets) {
      seen.add(socket.inode);
      const inflight = this.activity.inflight(socket.remotePort);
      const started = this.activity.started(socket.remotePort);
      let tracked = this.#tracked.get(socket.inode);
      if (!tracked) {
        // Counts are per peer port, not per connection: one that has sent bytes may have had
        // its first request served before this first look; one that has sent none has not.
        tracked = {
          firstSeen: now,
          started,
          bytesWhenIdle: null,
          headSince: null,
          requestSeen: socket.bytesReceived > 0n && started > 0,
        };
        this.#tracked.set(socket.inode, tracked);
      }
      const verdict = judge(socket, { inflight, started }, tracked, this.limits, now);
      if (verdict) {
        this.sockets.close(socket);
        closed[verdict] = (closed[verdict] ?? 0) + 1;
      } else {
        keep.push({ socket, idle: inflight === 0 });
      }
    }
    for (const inode of this.#tracked.keys()) if (!seen.has(inode)) this.#tracked.delete(inode);
    const { maxConnections } = this.limits;
    if (maxConnections > 0 && keep.length > maxConnections) {
      const idlest = keep.filter((k) => k.idle).sort((a, b) =>
        Math.min(b.socket.quietInMs, b.socket.quietOutMs) -
        Math.min(a.socket.quietInMs, a.socket.quietOutMs)
      );
      for (const { socket } of idlest.slice(0, keep.length - maxConnections)) {
        this.sockets.close(socket);
        closed["over the connection cap"] = (closed["over the connection cap"] ?? 0) + 1;
      }
    }
    const total = Object.values(closed).reduce((a, b) => a + b, 0);
    if (total > 0) logEvent("warn", "closed connections", { ...closed, open: sockets.length });
    return total;
  }
}

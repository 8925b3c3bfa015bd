/**
 * The sender of event notifications: one loop per target takes the queued
 * events in order and delivers them (a webhook: one POST of S3's JSON per
 * event; a JSON-lines file: appended and synced), moving the queue's
 * cursor only past what was delivered. A target that fails is retried with
 * a growing pause; requests never wait for any of it (they only append).
 * One process of those sharing a data dir sends each target's events.
 */
import type { NotifyTarget } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import type { QueueBatch, Storage } from "../storage/mod.ts";

/** How often a sender looks for events queued by other servers when not woken. */
const POLL_MS = 200;
/** How often a sender that another process holds off tries to take over. */
const CLAIM_RETRY_MS = 2000;
/** The pauses after failures: doubled from the first up to the last. */
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 30_000;
/** Longest time delivered events go without their cursor being saved. */
const ACK_EVERY_MS = 1000;

/** A running sender. */
export interface NotificationSender {
  /** Wakes the loops (an event was queued). */
  poke(): void;
  /** Stops the loops, abandoning deliveries in flight (they are delivered again later). */
  stop(): Promise<void>;
}

/** Starts delivering the events queued for `targets`. */
export function startNotificationSender(
  storage: Storage,
  opts: {
    targets: readonly NotifyTarget[];
    log: Logger;
    count: (target: string, state: string, n?: number) => void;
  },
): NotificationSender {
  const abort = new AbortController();
  const waiting = new Set<() => void>();
  const poke = () => {
    for (const wake of waiting) wake();
    waiting.clear();
  };
  // A pause ends early when stopped, and (unless it is a back-off) when poked.
  const pause = (ms: number, wakeable = true) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        abort.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (wakeable) waiting.add(done);
      abort.signal.addEventListener("abort", done, { once: true });
    });
  const loops = opts.targets.map((target) =>
    run({ storage, target, signal: abort.signal, pause, log: opts.log, count: opts.count })
  );
  return {
    poke,
    async stop() {
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}

interface Loop {
  storage: Storage;
  target: NotifyTarget;
  signal: AbortSignal;
  pause: (ms: number, wakeable?: boolean) => Promise<void>;
  log: Logger;
  count: (target: string, state: string, n?: number) => void;
}

async function run(l: Loop): Promise<void> {
  const { storage, target, signal } = l;
  let failures = 0;
  let claimed = false;
  while (!signal.aborted) {
    try {
      if (!claimed && !(claimed = await storage.events.claimSender(target.id))) {
        await l.pause(CLAIM_RETRY_MS);
        continue;
      }
      const batch = await storage.events.read(target.id);
      if (batch.lines.length === 0) {
        await l.pause(POLL_MS);
        continue;
      }
      const failed = await deliverBatch(l, batch);
      if (failed === null) {
        failures = 0;
        continue;
      }
      if (signal.aborted) return;
      failures++;
      l.count(target.id, "retried");
      const wait = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
      // The first failure of a run and then one in ten are logged: a dead target stays quiet.
      if (failures === 1 || failures % 10 === 0) {
        l.log.event("warn", "notification not delivered; retrying", {
          target: target.id,
          failures,
          retry_ms: wait,
          error: failed,
        });
      }
      await l.pause(wait, false);
    } catch (e) {
      if (signal.aborted) return;
      l.log.event("error", "notification sender failed", { target: target.id, error: String(e) });
      await l.pause(MAX_RETRY_MS, false);
    }
  }
}

/**
 * Delivers a batch in order, saving the cursor past what was delivered;
 * null when all of it was, else why the next one was not.
 */
async function deliverBatch(l: Loop, batch: QueueBatch): Promise<string | null> {
  const { storage, target } = l;
  if (target.type === "file") {
    try {
      await storage.events.appendToFile(
        target.path,
        batch.lines.map((x) => x.text + "\n").join(""),
      );
    } catch (e) {
      return String(e);
    }
    await storage.events.ack(target.id, batch.lines.at(-1)!.next);
    l.count(target.id, "delivered", batch.lines.length);
    return null;
  }
  let acked = Date.now();
  let done: QueueBatch["lines"][number] | null = null;
  try {
    for (const line of batch.lines) {
      const failed = await post(target, line.text, l.signal);
      if (failed !== null) return failed;
      done = line;
      l.count(target.id, "delivered");
      if (Date.now() - acked >= ACK_EVERY_MS) {
        await storage.events.ack(target.id, line.next);
        acked = Date.now();
      }
    }
    return null;
  } finally {
    if (done) await storage.events.ack(target.id, done.next);
  }
}

/** POSTs one event to a webhook: null when it answered 2xx, else why not. */
async function post(
  target: Extract<NotifyTarget, { type: "webhook" }>,
  body: string,
  stop: AbortSignal,
): Promise<string | null> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.authorization) headers.authorization = target.authorization;
  try {
    const res = await fetch(target.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.any([stop, AbortSignal.timeout(target.timeoutMs)]),
    });
    await res.body?.cancel();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}

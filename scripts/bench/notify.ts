/**
 * Event notifications' cost to requests: 4 KiB PUTs into a bucket that
 * sends every ObjectCreated event to a webhook, beside the same PUTs into a
 * bucket that sends none, round by round, twice: with a receiver that
 * answers at once, and with one that never answers (the sender waits out
 * its timeout and backs off while events queue). geckos3 started here only.
 */
import type { Bench } from "./context.ts";
import { luaFor, runWrk } from "./drivers.ts";
import { fmtSize } from "./report.ts";
import { loadRow } from "./rows.ts";
import { measured } from "./system.ts";
import type { Endpoint, Result } from "./types.ts";

/** The receiver the geckos3 of this run sends events to: fast, or hanging. */
export class BenchReceiver {
  #hang = false;
  #held: (() => void)[] = [];
  received = 0;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;

  constructor() {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      await req.body?.cancel();
      if (this.#hang) {
        await new Promise<void>((resolve) => this.#held.push(resolve));
        return new Response(null, { status: 503 });
      }
      this.received++;
      return new Response(null, { status: 200 });
    });
  }

  /** The `-notify-targets` value that points geckos3 here. */
  get targets(): string {
    const url = `http://127.0.0.1:${this.#server.addr.port}/events`;
    return JSON.stringify({ targets: [{ id: "bench", type: "webhook", url, timeout: "2s" }] });
  }

  /** Resolves once no event arrived for half a second (at most 60 s): the queue is delivered. */
  async drained(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let seen = -1;
    while (seen !== this.received && Date.now() < deadline) {
      seen = this.received;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Makes the receiver hang (or answer again, releasing what it holds). */
  hang(on: boolean): void {
    this.#hang = on;
    if (!on) { for (const release of this.#held.splice(0)) release(); }
  }

  async close(): Promise<void> {
    this.hang(false);
    await this.#server.shutdown();
  }
}

const CONFIG = "<NotificationConfiguration><QueueConfiguration><Id>bench</Id>" +
  "<Queue>arn:geckos3:sqs:::bench</Queue><Event>s3:ObjectCreated:*</Event>" +
  "</QueueConfiguration></NotificationConfiguration>";

/** PUT rounds into a silent bucket and a notifying one, with a fast then a hanging receiver. */
export async function notifyCost(
  b: Bench,
  ep: Endpoint,
  receiver: NonNullable<Bench["receiver"]>,
  size: number,
): Promise<Result[]> {
  const body = await Deno.makeTempFile({ prefix: "geckos3-bench-notify-" });
  await Deno.writeFile(body, new Uint8Array(size).map((_, i) => (i * 7) & 255));
  const silent = "bench-notify-off";
  const loud = "bench-notify-on";
  await b.request("PUT", `${ep.url}/${silent}`);
  await b.request("PUT", `${ep.url}/${loud}`);
  await b.request("PUT", `${ep.url}/${loud}?notification`, CONFIG);
  const results: Result[] = [];
  const pairs: string[] = [];
  const row = async (bucket: string, label: string) => {
    // Events left from the row before are delivered first: their sending is not this row's.
    await receiver.drained();
    return await measured(
      b,
      ep,
      async () => loadRow(await runWrk(b, ep.url, luaFor(b, "PUT", ep.url, bucket, 1, body)), size),
      `PUT ${fmtSize(size)} ${label}`,
    );
  };
  try {
    for (b.round = 1; b.round <= b.repeat; b.round++) {
      receiver.hang(false);
      const off = await row(silent, "no notifications");
      const on = await row(loud, "events to a receiver that answers");
      receiver.hang(true);
      const hung = await row(loud, "events to a receiver that hangs");
      receiver.hang(false);
      results.push(...b.inRound([off, on, hung]));
      const ratio = (r: Result) =>
        `${(r.opsPerSec / off.opsPerSec).toFixed(2)}x ops, p99 ${r.p99ms?.toFixed(1)} ms`;
      pairs.push(
        `p99 ${off.p99ms?.toFixed(1)} ms without; answering ${ratio(on)}; hanging ${ratio(hung)}`,
      );
    }
  } finally {
    receiver.hang(false);
    await Deno.remove(body);
  }
  b.notes.push(`${ep.name}: PUT with event notifications, over none: ${pairs.join(" | ")}`);
  return results;
}

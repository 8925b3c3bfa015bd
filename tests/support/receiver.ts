/** Test support: a real HTTP receiver of event notifications on a random loopback port. */
import { eventually } from "./wait.ts";

/** What the receiver does with a POST. */
export type ReceiverMode = "ok" | "down" | "hang";

/** A running receiver. */
export interface Receiver {
  /** Its URL. */
  url: string;
  /** Every event message accepted (answered 200), in order of arrival. */
  messages: Record<string, unknown>[];
  /** Authorization headers seen. */
  authorizations: (string | null)[];
  /** How many POSTs it refused or left hanging. */
  refused: number;
  /** Sets what it does with the next POSTs ("hang" holds them until the mode changes). */
  setMode(mode: ReceiverMode): void;
  /** The S3 event records received (test events left out), in order. */
  records(): Record<string, unknown>[];
  /** Waits (up to `ms`) until `pred` holds of the records. */
  waitFor(pred: (records: Record<string, unknown>[]) => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (on `port` when given). */
export function startReceiver(port = 0): Promise<Receiver> {
  let mode: ReceiverMode = "ok";
  let release = Promise.withResolvers<void>();
  const r = {
    messages: [] as Record<string, unknown>[],
    authorizations: [] as (string | null)[],
    refused: 0,
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
    const text = await req.text();
    if (mode === "hang") {
      r.refused++;
      await release.promise;
      return new Response("released", { status: 503 });
    }
    if (mode === "down") {
      r.refused++;
      return new Response("down", { status: 503 });
    }
    r.messages.push(JSON.parse(text));
    r.authorizations.push(req.headers.get("authorization"));
    return new Response("ok");
  });
  const records = () =>
    r.messages.flatMap((m) => (m.Records as Record<string, unknown>[] | undefined) ?? []);
  return Promise.resolve({
    url: `http://127.0.0.1:${server.addr.port}/events`,
    get messages() {
      return r.messages;
    },
    get authorizations() {
      return r.authorizations;
    },
    get refused() {
      return r.refused;
    },
    setMode(next: ReceiverMode) {
      mode = next;
      release.resolve();
      release = Promise.withResolvers<void>();
    },
    records,
    waitFor(pred, ms = 10_000) {
      return eventually(
        () => pred(records()),
        () => `the receiver's condition; got ${JSON.stringify(records(), null, 1)}`,
        { ms, every: 25 },
      );
    },
    async close() {
      mode = "ok";
      release.resolve();
      await server.shutdown();
    },
  });
}

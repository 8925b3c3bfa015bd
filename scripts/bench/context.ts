/** One benchmark run's state: its options, credentials, the round being measured, notes. */
import { presign, type Signer } from "../presign.ts";
import type { BenchArgs } from "./options.ts";
import type { Result } from "./types.ts";

/** The run: what every scenario and driver reads. */
export class Bench {
  /** Seconds per small-object scenario. */
  readonly duration: number;
  /** Concurrent clients of the load generators. */
  readonly clients: number;
  /** Rounds of each scenario (`--repeat`). */
  readonly repeat: number;
  /**
   * The credentials of the run: geckos3 started here runs with them (and its
   * requests are signed with them under --auth), and with --access-key and
   * --secret-key every --endpoint's requests are signed with them too.
   */
  readonly signer: Signer;
  /** Signers of the endpoints that require signed requests, by origin. */
  readonly signers = new Map<string, Signer>();
  /** What the run could not measure, printed under the table. */
  readonly notes: string[] = [];
  /**
   * Fresh keys per wrk thread that PUT and DELETE get presigned URLs for under --auth, scaled to
   * the duration (short runs would otherwise spend longer signing than measuring).
   */
  readonly signedFreshKeys: number;
  /** The users file geckos3 started here reads (the `access` scenario), if any. */
  usersFile: string | null = null;
  /** Where geckos3 started here sends event notifications (the `notify` scenario), if anywhere. */
  receiver: {
    readonly targets: string;
    hang(on: boolean): void;
    drained(): Promise<void>;
    close(): Promise<void>;
  } | null = null;
  /** Which `--repeat` round runs: PUT and DELETE of round r write and remove keys `w<r>x<thread>-<n>`. */
  round = 1;

  /** The run for parsed arguments. */
  constructor(readonly args: BenchArgs) {
    this.duration = Number(args.duration);
    this.clients = Number(args.clients);
    this.repeat = Number(args.repeat);
    this.signer = {
      accessKey: args["access-key"] ?? "bench-access",
      secretKey: args["secret-key"] ?? "bench-secret",
      region: args.region!,
    };
    this.signedFreshKeys = Math.min(25_000, Math.ceil(this.duration * 4_000));
  }

  /** Whether requests to --endpoint URLs are signed (both keys given). */
  get signEndpoints(): boolean {
    return this.args["access-key"] !== undefined;
  }

  /** Shows what runs now on stderr (not with --json). */
  progress(text: string): void {
    if (!this.args.json) Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${text}`));
  }

  /** `rows` named for the `--repeat` round that measured them (` #<round>`, when there are several). */
  inRound(rows: Result[]): Result[] {
    if (this.repeat > 1) { for (const r of rows) r.scenario += ` #${this.round}`; }
    return rows;
  }

  /** `url` as its endpoint wants it: presigned for `method` when the endpoint requires auth. */
  authorized(method: string, url: string): string {
    const signer = this.signers.get(new URL(url).origin);
    return signer ? presign(signer, method, url) : url;
  }

  /** A request that must succeed (status below 300). */
  async request(method: string, url: string, body?: BodyInit): Promise<Response> {
    const r = await fetch(this.authorized(method, url), { method, body });
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
    return r;
  }
}

/** Runs `fn` over `items` with `n` at a time. */
export async function pool<T>(
  items: T[],
  n: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

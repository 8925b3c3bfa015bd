/**
 * The most recent requests of a server, kept in memory for the console's
 * activity page: what the access log says of each, without secrets (URIs
 * are logged with signatures and credentials redacted).
 */

/** Requests kept per server. */
export const ACTIVITY_SIZE = 1000;

/** One answered request. */
export interface ActivityEntry {
  /** When it was answered (ISO 8601). */
  time: string;
  /** Milliseconds since the epoch, to merge the entries of several servers. */
  at: number;
  requestId: string;
  operation: string;
  method: string;
  /** The request target, redacted. */
  uri: string;
  status: number;
  /** The S3 error code of an error answer. */
  errorCode?: string;
  durationMs: number;
  /** A user name, `root` or `anonymous`; absent when the request got no further than the front. */
  user?: string;
}

/** A ring of the last ACTIVITY_SIZE requests. */
export class ActivityRing {
  #entries: (ActivityEntry | undefined)[] = new Array(ACTIVITY_SIZE);
  #next = 0;

  /** Keeps one answered request, dropping the oldest once full. */
  add(entry: ActivityEntry): void {
    this.#entries[this.#next] = entry;
    this.#next = (this.#next + 1) % ACTIVITY_SIZE;
  }

  /** The entries kept, newest first. */
  entries(): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    for (let i = 1; i <= ACTIVITY_SIZE; i++) {
      const e = this.#entries[(this.#next - i + ACTIVITY_SIZE) % ACTIVITY_SIZE];
      if (!e) break;
      out.push(e);
    }
    return out;
  }
}

/** What to show: entries of several servers, newest first, filtered. */
export function selectActivity(
  lists: readonly ActivityEntry[][],
  filter: { text?: string; errorsOnly?: boolean; limit?: number },
): ActivityEntry[] {
  const needle = (filter.text ?? "").toLowerCase();
  return lists.flat()
    .filter((e) => !filter.errorsOnly || e.status >= 400)
    .filter((e) =>
      needle === "" ||
      [e.operation, e.uri, e.user ?? "", String(e.status), e.errorCode ?? ""].some((v) =>
        v.toLowerCase().includes(needle)
      )
    )
    .sort((a, b) => b.at - a.at)
    .slice(0, filter.limit ?? 200);
}

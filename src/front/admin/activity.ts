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

/**
 * A ring of the last ACTIVITY_SIZE requests. It keeps the access log's own
 * line of each (already made for the log), and shapes entries only when
 * they are read: the ring costs a request one array store.
 */
export class ActivityRing {
  #lines: (Record<string, unknown> | undefined)[] = new Array(ACTIVITY_SIZE);
  #next = 0;

  /** Keeps one answered request's access log line, dropping the oldest once full. */
  add(line: Record<string, unknown>): void {
    this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % ACTIVITY_SIZE;
  }

  /** The entries kept, newest first. */
  entries(): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    for (let i = 1; i <= ACTIVITY_SIZE; i++) {
      const line = this.#lines[(this.#next - i + ACTIVITY_SIZE) % ACTIVITY_SIZE];
      if (!line) break;
      out.push(entryOf(line));
    }
    return out;
  }
}

/** An access log line (front/handler.ts) as an activity entry. */
function entryOf(line: Record<string, unknown>): ActivityEntry {
  const time = String(line.timestamp);
  return {
    time,
    at: Date.parse(time),
    requestId: String(line.request_id),
    operation: String(line.operation ?? "Unknown"),
    method: String(line.method),
    uri: String(line.uri),
    status: Number(line.status),
    ...(line.error_code ? { errorCode: String(line.error_code) } : {}),
    durationMs: Number(line.duration_ms),
    ...(line.user ? { user: String(line.user) } : {}),
  };
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

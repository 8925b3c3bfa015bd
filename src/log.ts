/**
 * Structured JSON logging to stdout, one line per event: the only writer of
 * log lines. Lines are batched and written once per event-loop turn so
 * logging stays off the hot path.
 */

const encoder = new TextEncoder();
// The batch is the process's (stdout is one); whether to log at all is each Logger's.
let pending: string[] = [];
let scheduled = false;

/** Largest write that a pipe takes whole: worker threads' lines then never interleave. */
const ATOMIC_WRITE = 4096;

function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const lines = pending;
  pending = [];
  let batch = "";
  for (const line of lines) {
    if (batch !== "" && batch.length + line.length + 1 > ATOMIC_WRITE) {
      write(batch);
      batch = "";
    }
    batch += line + "\n";
  }
  write(batch);
}

function write(text: string): void {
  const data = encoder.encode(text);
  let off = 0;
  try {
    while (off < data.byteLength) off += Deno.stdout.writeSync(data.subarray(off));
  } catch {
    // stdout closed: nothing sensible to do.
  }
}

/** Where one server (or the process) writes its log lines; a quiet one writes none. */
export class Logger {
  /** A logger; `quiet` ones drop every line (benchmarks, tests). */
  constructor(readonly quiet = false) {}

  /** Writes one JSON log line (batched). */
  line(record: Record<string, unknown>): void {
    if (!this.quiet) logLine(record);
  }

  /** Logs an event with a level and message. */
  event(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.quiet) logEvent(level, msg, fields);
  }
}

/** Writes one JSON log line (batched), for the process rather than one server. */
function logLine(record: Record<string, unknown>): void {
  pending.push(JSON.stringify(record));
  if (!scheduled) {
    scheduled = true;
    setTimeout(flush, 0);
  }
}

/** Logs a process event with a level and message. */
export function logEvent(
  level: "info" | "warn" | "error",
  msg: string,
  fields: Record<string, unknown> = {},
): void {
  logLine({ timestamp: isoNow(), level, msg, ...fields });
}

let isoSecond = NaN;
let isoPrefix = "";

/**
 * `new Date(now).toISOString()`, for log lines: the part up to the second is
 * formatted once a second, and only the milliseconds per call (in a busy
 * server, a fresh Date and its formatting cost several µs a request).
 */
export function isoNow(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4); // up to and with the "."
  }
  const ms = now - second * 1000;
  return `${isoPrefix}${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`;
}

/** Writes everything pending now (before exit). */
export function flushLog(): void {
  flush();
}

/** Query parameters that carry a signature or a credential, lower case. */
const SECRET_PARAMS = new Set([
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "signature",
  "awsaccesskeyid",
]);
/** The same parameters, as sent without escapes in their names. */
const PLAIN_SECRETS = new RegExp(`([?&](?:${[...SECRET_PARAMS].join("|")})=)[^&]*`, "gi");
/** A parameter name holding an escape (`%` or `+`). */
const ESCAPED_NAME = /[?&][^=&]*[%+][^=&]*=/;

/**
 * A request URI with presigned signatures and credentials replaced by
 * `REDACTED`. Parameter names are compared decoded, as the server reads them:
 * `X-Amz-Signatur%65=` is the signature too.
 */
export function redactUri(uri: string): string {
  const q = uri.indexOf("?");
  if (q < 0 || !uri.includes("=", q)) return uri;
  // Names with no escape are compared as they are: one pass, no split (the common case).
  if (!ESCAPED_NAME.test(uri.slice(q))) return uri.replace(PLAIN_SECRETS, "$1REDACTED");
  const pairs = uri.slice(q + 1).split("&").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq < 0) return pair;
    return SECRET_PARAMS.has(decodedName(pair.slice(0, eq)).toLowerCase())
      ? `${pair.slice(0, eq)}=REDACTED`
      : pair;
  });
  return uri.slice(0, q + 1) + pairs.join("&");
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll("+", " "));
  } catch {
    return name;
  }
}

/**
 * Structured JSON logging to stdout, one line per event. Lines are batched
 * and written once per event-loop turn so logging stays off the hot path.
 */

const encoder = new TextEncoder();
let pending: string[] = [];
let scheduled = false;
let quiet = false;

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

/** Writes one JSON log line (batched). */
export function logLine(record: Record<string, unknown>): void {
  if (quiet) return;
  pending.push(JSON.stringify(record));
  if (!scheduled) {
    scheduled = true;
    setTimeout(flush, 0);
  }
}

/** Logs a server event with a level and message. */
export function logEvent(
  level: "info" | "warn" | "error",
  msg: string,
  fields: Record<string, unknown> = {},
): void {
  logLine({ timestamp: new Date().toISOString(), level, msg, ...fields });
}

/** Writes everything pending now (before exit). */
export function flushLog(): void {
  flush();
}

/** Turns logging off (benchmarks) or on. */
export function setQuiet(value: boolean): void {
  quiet = value;
}

const SECRET_PARAMS =
  /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId)=)[^&]*/gi;

/** A request URI with presigned signatures and credentials replaced by `REDACTED`. */
export function redactUri(uri: string): string {
  return uri.includes("=") ? uri.replace(SECRET_PARAMS, "$1REDACTED") : uri;
}

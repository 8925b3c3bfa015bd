/**
 * A minimal keep-alive HTTP/1.1 load generator over raw TCP, for the
 * benchmark's requests that `wrk` cannot drive (it waits for a body after
 * HEAD). Runs in its own process and prints one JSON line:
 *   {"requests", "duration_us", "p50", "p99", "errors"} (latencies in µs).
 *
 *   deno run -A scripts/loadgen.ts <host:port> <seconds> <connections> <mix> <bucket> <keys> <body-bytes> [access:secret:region]
 * where mix is e.g. `HEAD` or `GET:45,PUT:15,HEAD:30,DELETE:10`. With
 * credentials, every request is a presigned URL, signed before the clock
 * starts (fresh keys for PUT and DELETE come from a fixed table that wraps).
 */
import { presign, type Signer } from "./presign.ts";

const [target, secondsText, connText, mixText, bucket, keysText, sizeText, credentials] = Deno.args;
const [hostname, portText] = target.split(":");
const seconds = Number(secondsText);
const keys = Number(keysText);
const body = new Uint8Array(Number(sizeText)).map((_, i) => (i * 31) & 255);
const mix = mixText.split(",").map((p) => {
  const [op, weight] = p.split(":");
  return { op, weight: Number(weight ?? 100) };
});
const totalWeight = mix.reduce((n, m) => n + m.weight, 0);
const enc = new TextEncoder();
const latencies: number[] = [];
let errors = 0;
let counter = 0;

function pickOp(): string {
  let r = Math.random() * totalWeight;
  for (const m of mix) if ((r -= m.weight) < 0) return m.op;
  return mix[0].op;
}

/**
 * Fresh keys (`lg-<n>`) that PUT and DELETE get presigned paths for: `counter` wraps at this.
 * Scaled to the run's length, so short runs do not spend longer signing than measuring.
 */
const SIGNED_FRESH = Math.min(30_000, Math.ceil(seconds * 5_000));

/** Presigned paths by "<method> <path>", when the target requires auth. */
const signed = new Map<string, string>();
if (credentials) {
  const [accessKey, secretKey, region] = credentials.split(":");
  const signer: Signer = { accessKey, secretKey, region };
  const add = (method: string, path: string) => {
    const u = new URL(presign(signer, method, `http://${target}${path}`));
    signed.set(`${method} ${path}`, u.pathname + u.search);
  };
  for (const { op } of mix) {
    if (op === "PUT" || op === "DELETE") {
      for (let n = 0; n <= SIGNED_FRESH; n++) add(op, `/${bucket}/lg-${n}`);
    } else {
      for (let i = 0; i < keys; i++) add(op, `/${bucket}/obj-${i}`);
    }
  }
}

function requestBytes(op: string): Uint8Array {
  const existing = `/${bucket}/obj-${Math.floor(Math.random() * keys)}`;
  if (credentials) counter %= SIGNED_FRESH;
  const fresh = `/${bucket}/lg-${++counter}`;
  const plain = op === "PUT"
    ? fresh
    : op === "DELETE"
    ? `/${bucket}/lg-${Math.floor(Math.random() * (counter + 1))}`
    : existing;
  const path = credentials ? signed.get(`${op} ${plain}`)! : plain;
  const head = `${op} ${path} HTTP/1.1\r\nHost: ${target}\r\n${
    op === "PUT" ? `Content-Length: ${body.length}\r\n` : ""
  }\r\n`;
  if (op !== "PUT") return enc.encode(head);
  const h = enc.encode(head);
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return out;
}

const dec = new TextDecoder();

/**
 * Reads responses from one connection, handling bodies by Content-Length,
 * into one reused buffer (the load generator must not be what limits a run).
 */
class Reader {
  #buf = new Uint8Array(256 * 1024);
  /** Unconsumed bytes are #buf[#start, #end). */
  #start = 0;
  #end = 0;
  constructor(private conn: Deno.Conn) {}

  async #more(): Promise<void> {
    if (this.#end === this.#buf.length) {
      // Full: move what is unconsumed to the front, into a larger buffer if it is over half.
      const kept = this.#end - this.#start;
      if (kept * 2 > this.#buf.length) {
        const larger = new Uint8Array(this.#buf.length * 2);
        larger.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = larger;
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = kept;
    }
    const n = await this.conn.read(this.#buf.subarray(this.#end));
    if (n === null) throw new Error("closed");
    this.#end += n;
  }

  async response(isHead: boolean): Promise<number> {
    let end = -1;
    let scanned = this.#start + 3;
    for (;;) {
      const b = this.#buf;
      for (let i = scanned; i < this.#end; i++) {
        if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) {
          end = i + 1;
          break;
        }
      }
      if (end > 0) break;
      scanned = Math.max(this.#start + 3, this.#end);
      const before = this.#start;
      await this.#more();
      scanned -= before - this.#start; // the buffer may have been compacted
    }
    const head = dec.decode(this.#buf.subarray(this.#start, end));
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const length = isHead || status === 204 || status === 304 ? 0 : m ? Number(m[1]) : 0;
    let bodyEnd = end + length;
    while (this.#end < bodyEnd) {
      const before = this.#start;
      await this.#more();
      bodyEnd -= before - this.#start;
    }
    this.#start = bodyEnd;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return status;
  }
}

const deadline = performance.now() + seconds * 1000;
const started = performance.now();
await Promise.all(Array.from({ length: Number(connText) }, async () => {
  const conn = await Deno.connect({ hostname, port: Number(portText) });
  const reader = new Reader(conn);
  while (performance.now() < deadline) {
    const op = pickOp();
    const t0 = performance.now();
    const req = requestBytes(op);
    let off = 0;
    while (off < req.length) off += await conn.write(req.subarray(off));
    const status = await reader.response(op === "HEAD");
    latencies.push((performance.now() - t0) * 1000);
    if (status >= 400 && !(op === "DELETE" && status === 404)) errors++;
  }
  conn.close();
}));
const elapsed = performance.now() - started;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
console.log(
  JSON.stringify({
    requests: latencies.length,
    duration_us: elapsed * 1000,
    p50: pct(0.5),
    p99: pct(0.99),
    errors,
  }),
);

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

/** Fresh keys (`lg-<n>`) that PUT and DELETE get presigned paths for: `counter` wraps at this. */
const SIGNED_FRESH = 30_000;

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

/** Reads responses from one connection, handling bodies by Content-Length. */
class Reader {
  #buf = new Uint8Array(0);
  constructor(private conn: Deno.Conn) {}

  async #more(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.conn.read(chunk);
    if (n === null) throw new Error("closed");
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
  }

  async response(isHead: boolean): Promise<number> {
    let end = -1;
    for (;;) {
      for (let i = 3; i < this.#buf.length; i++) {
        if (
          this.#buf[i] === 10 && this.#buf[i - 1] === 13 && this.#buf[i - 2] === 10 &&
          this.#buf[i - 3] === 13
        ) {
          end = i + 1;
          break;
        }
      }
      if (end > 0) break;
      await this.#more();
    }
    const head = new TextDecoder().decode(this.#buf.subarray(0, end));
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const length = isHead || status === 204 || status === 304 ? 0 : m ? Number(m[1]) : 0;
    while (this.#buf.length < end + length) await this.#more();
    this.#buf = this.#buf.subarray(end + length);
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

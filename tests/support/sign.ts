/**
 * A minimal SigV4 signer written for the tests from AWS's documentation,
 * independent of the server's code, so tests can build requests the SDKs
 * would never send (tampered chunks, skewed clocks, hand-made framing).
 */
import { createHash, createHmac } from "node:crypto";
import { ACCESS_KEY, SECRET_KEY } from "./server.ts";

const enc = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
const sha = (d: string | Uint8Array) => createHash("sha256").update(d).digest("hex");
const hmac = (k: Uint8Array | string, d: string) =>
  new Uint8Array(createHmac("sha256", k).update(d).digest());

/** A signed request ready for fetch, plus what chunk signing needs. */
export interface Signed {
  url: string;
  headers: Record<string, string>;
  signature: string;
  key: Uint8Array;
  amzDate: string;
  scope: string;
}

/** Signs `method url` with the given headers (host added) and payload hash. */
export function sign(
  method: string,
  url: string,
  opts: {
    headers?: Record<string, string>;
    payload?: string;
    now?: Date;
    secret?: string;
    accessKey?: string;
  } = {},
): Signed {
  const u = new URL(url);
  const now = opts.now ?? new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const headers: Record<string, string> = {
    host: u.host,
    "x-amz-date": amzDate,
    "x-amz-content-sha256": opts.payload ?? "UNSIGNED-PAYLOAD",
    ...Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const names = Object.keys(headers).sort();
  const query = [...u.searchParams].map(([k, v]) => `${enc(k)}=${enc(v)}`).sort().join("&");
  const canonical = [
    method,
    u.pathname,
    query,
    names.map((n) => `${n}:${headers[n].trim()}\n`).join(""),
    names.join(";"),
    headers["x-amz-content-sha256"],
  ].join("\n");
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha(canonical)}`;
  let key = hmac("AWS4" + (opts.secret ?? SECRET_KEY), day);
  for (const part of ["us-east-1", "s3", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${
    opts.accessKey ?? ACCESS_KEY
  }/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  delete headers.host; // fetch sets it
  return { url, headers, signature, key, amzDate, scope };
}

/** Frames `chunks` as a signed aws-chunked body, optionally with a signed trailer. */
export function signedChunkedBody(
  s: Signed,
  chunks: Uint8Array[],
  trailer?: string,
): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  const te = new TextEncoder();
  let previous = s.signature;
  for (const chunk of [...chunks, new Uint8Array(0)]) {
    const toSign = `AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${previous}\n${sha("")}\n${
      sha(chunk)
    }`;
    previous = createHmac("sha256", s.key).update(toSign).digest("hex");
    parts.push(
      te.encode(`${chunk.byteLength.toString(16)};chunk-signature=${previous}\r\n`),
      chunk,
    );
    if (chunk.byteLength > 0 || !trailer) parts.push(te.encode("\r\n"));
  }
  if (trailer) {
    const toSign = `AWS4-HMAC-SHA256-TRAILER\n${s.amzDate}\n${s.scope}\n${previous}\n${
      sha(trailer + "\n")
    }`;
    const sig = createHmac("sha256", s.key).update(toSign).digest("hex");
    parts.push(te.encode(`${trailer}\r\nx-amz-trailer-signature:${sig}\r\n\r\n`));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.byteLength) - p.byteLength);
  return out;
}

// @ts-check
/// <reference lib="dom" />
/** SigV4 in the browser (Web Crypto): signed requests, presigned URLs. The secret stays in sessionStorage. */

/** @typedef {{ key: string, secret: string }} Credentials */

/** UTF-8 encoder. */
export const enc = new TextEncoder();
/** @param {ArrayBuffer} buf */
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
/** @param {string | ArrayBuffer | Uint8Array<ArrayBuffer>} data */
const sha256 = async (data) =>
  hex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data));
/**
 * @param {string | ArrayBuffer} key
 * @param {string} data
 */
async function hmac(key, data) {
  const k = await crypto.subtle.importKey(
    "raw",
    typeof key === "string" ? enc.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}
/**
 * AWS URI encoding of `s` (every byte but unreserved characters, and `/` when kept).
 * @param {string} s
 * @param {boolean} keepSlash
 */
export const uriEncode = (s, keepSlash) =>
  [...enc.encode(s)].map((b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/")
      ? c
      : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }).join("");
/**
 * The logged-in credentials, or null.
 * @returns {Credentials}
 */
export const creds = () => JSON.parse(sessionStorage.getItem("geckos3-console") || "null");
/** The server's region (-region), which every signature's scope names. */
const REGION = document.documentElement.dataset.region || "us-east-1";

/**
 * SigV4 pieces shared by header signing and presigning.
 * @param {string} secret
 * @param {string} day
 */
async function signingKey(secret, day) {
  let k = await hmac("AWS4" + secret, day);
  for (const part of [REGION, "s3", "aws4_request"]) k = await hmac(k, part);
  return k;
}
/**
 * Query parameters in SigV4's canonical form (sorted, encoded).
 * @param {Record<string, string>} params
 */
export function canonicalQuery(params) {
  return Object.keys(params).sort().map((k) =>
    uriEncode(k, false) + "=" + uriEncode(params[k], false)
  ).join("&");
}

/**
 * Signs and sends an S3 request (payload UNSIGNED-PAYLOAD, so bodies stream as they are).
 * @param {string} method
 * @param {string} path
 * @param {Record<string, string>} [params]
 * @param {BodyInit | null} [body]
 * @param {Record<string, string>} [extraHeaders]
 */
export async function s3(method, path, params = {}, body = null, extraHeaders = {}) {
  const headers = await signedHeaders(method, path, params, extraHeaders);
  const query = canonicalQuery(params);
  const res = await fetch(uriEncode(path, true) + (query ? "?" + query : ""), {
    method,
    headers,
    body,
  });
  if (!res.ok && res.status !== 304) {
    const text = await res.text();
    const code = /<Code>([^<]*)/.exec(text)?.[1] || res.status;
    const msg = /<Message>([^<]*)/.exec(text)?.[1] || "";
    throw new Error(code + (msg ? ": " + msg : ""));
  }
  return res;
}

/** The request time in SigV4's two forms: `amzDate` (YYYYMMDDTHHMMSSZ) and the credential scope. */
function signingTime() {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { amzDate, scope: amzDate.slice(0, 8) + "/" + REGION + "/s3/aws4_request" };
}

/**
 * The hex SigV4 signature of a canonical request, with the logged-in secret.
 * @param {string} canonical
 * @param {string} amzDate
 * @param {string} scope
 */
async function signCanonical(canonical, amzDate, scope) {
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256(canonical)].join("\n");
  return hex(await hmac(await signingKey(creds().secret, amzDate.slice(0, 8)), toSign));
}

/**
 * A presigned GET URL valid for `seconds`.
 * @param {string} bucket
 * @param {string} key
 * @param {number} seconds
 * @param {Record<string, string>} [extra]
 */
export async function presign(bucket, key, seconds, extra = {}) {
  const c = creds();
  const { amzDate, scope } = signingTime();
  const params = {
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": c.key + "/" + scope,
    "X-Amz-Date": amzDate,
    "X-Amz-Expires": String(seconds),
    "X-Amz-SignedHeaders": "host",
    ...extra,
  };
  const uri = uriEncode("/" + bucket + "/" + key, true);
  const canonical = [
    "GET",
    uri,
    canonicalQuery(params),
    "host:" + location.host + "\n",
    "host",
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const signature = await signCanonical(canonical, amzDate, scope);
  return location.origin + uri + "?" + canonicalQuery(params) + "&X-Amz-Signature=" + signature;
}

/**
 * Signed request headers (SigV4) for method, path and query; the payload is
 * unsigned unless its SHA-256 (hex) is given.
 * @param {string} method
 * @param {string} path
 * @param {Record<string, string>} [params]
 * @param {Record<string, string>} [extra]
 * @param {string} [payloadHash]
 */
export async function signedHeaders(method, path, params = {}, extra = {}, payloadHash) {
  const c = creds();
  const { amzDate, scope } = signingTime();
  const payload = payloadHash ?? "UNSIGNED-PAYLOAD";
  /** @type {Record<string, string>} */
  const headers = {
    host: location.host,
    "x-amz-content-sha256": payload,
    "x-amz-date": amzDate,
  };
  for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
  const names = Object.keys(headers).sort();
  const canonical = [
    method,
    uriEncode(path, true),
    canonicalQuery(params),
    names.map((n) => n + ":" + String(headers[n]).trim() + "\n").join(""),
    names.join(";"),
    payload,
  ].join("\n");
  const signature = await signCanonical(canonical, amzDate, scope);
  delete headers.host;
  headers.authorization = "AWS4-HMAC-SHA256 Credential=" + c.key + "/" + scope +
    ", SignedHeaders=" + names.join(";") + ", Signature=" + signature;
  return headers;
}

/**
 * A call of the server's admin API (`/_admin/...`): signed, its JSON body's
 * bytes signed too; the answer's JSON (null for none). Errors throw as s3() does.
 * @param {string} method
 * @param {string} path the part after `/_admin/`
 * @param {Record<string, string>} [params]
 * @param {unknown} [body]
 */
export async function admin(method, path, params = {}, body) {
  const bytes = body === undefined ? null : enc.encode(JSON.stringify(body));
  const full = "/_admin/" + path;
  const headers = await signedHeaders(
    method,
    full,
    params,
    bytes ? { "content-type": "application/json" } : {},
    await sha256(bytes ?? ""),
  );
  const query = canonicalQuery(params);
  const res = await fetch(uriEncode(full, true) + (query ? "?" + query : ""), {
    method,
    headers,
    body: bytes,
  });
  const text = await res.text();
  if (!res.ok) {
    const code = /<Code>([^<]*)/.exec(text)?.[1] || res.status;
    const msg = /<Message>([^<]*)/.exec(text)?.[1] || "";
    throw new Error(code + (msg ? ": " + msg : ""));
  }
  return text ? JSON.parse(text) : null;
}

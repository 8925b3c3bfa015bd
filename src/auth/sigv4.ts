/**
 * The pieces of AWS Signature Version 4: URI encoding, the canonical request,
 * the string to sign, the (cached) signing key, and constant-time comparison.
 * Pure functions over strings and bytes; no knowledge of HTTP servers.
 */
import { createHash, createHmac } from "node:crypto";

/** The only algorithm accepted. */
export const ALGORITHM = "AWS4-HMAC-SHA256";
/** Hex SHA-256 of the empty string. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const ALL_UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-._~/]*$/;
/** What encodeURIComponent leaves alone that AWS escapes. */
const KEPT_BY_ENCODE_URI = /[!'()*]/g;

/** AWS's URI encoding: everything but unreserved characters as %XX (upper case); `/` kept when asked. */
export function awsUriEncode(s: string, keepSlash: boolean): string {
  if ((keepSlash ? ALL_UNRESERVED_OR_SLASH : ALL_UNRESERVED).test(s)) return s;
  let encoded: string;
  try {
    encoded = encodeURIComponent(s); // native, upper-case hex, UTF-8
  } catch {
    return awsUriEncodeBytes(s, keepSlash); // a lone surrogate: encoded as U+FFFD, byte by byte
  }
  encoded = encoded.replace(
    KEPT_BY_ENCODE_URI,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  return keepSlash ? encoded.replaceAll("%2F", "/") : encoded;
}

/** awsUriEncode one code point at a time (any string, lone surrogates included). */
export function awsUriEncodeBytes(s: string, keepSlash: boolean): string {
  const encoder = new TextEncoder();
  let out = "";
  for (const ch of s) {
    if (UNRESERVED.test(ch) || (keepSlash && ch === "/")) out += ch;
    else {
      for (const b of encoder.encode(ch)) {
        out += "%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
      }
    }
  }
  return out;
}

/** Decodes %XX escapes, leaving `+` alone; null when the escapes are not valid UTF-8. */
function percentDecode(s: string): string | null {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * Canonical URIs to try for a raw request path: S3 signs the path as sent
 * (never normalising `//` or `.`), so the raw path comes first; a
 * re-encoded form follows when the client left characters unescaped that
 * its signer escaped (or used lower-case hex).
 */
export function canonicalUris(rawPath: string): string[] {
  const path = rawPath === "" ? "/" : rawPath;
  const segments = path.split("/").map((seg) => {
    const decoded = percentDecode(seg);
    return decoded === null ? seg : awsUriEncode(decoded, false);
  });
  const normalised = segments.join("/");
  return normalised === path ? [path] : [path, normalised];
}

/** The canonical query string: pairs URI-encoded, sorted by name then value, `omit` left out. */
export function canonicalQuery(rawQuery: string, omit?: string): string {
  if (rawQuery === "") return "";
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    const name = percentDecode(rawName) ?? rawName;
    if (name === omit) continue;
    pairs.push([
      awsUriEncode(name, false),
      awsUriEncode(percentDecode(rawValue) ?? rawValue, false),
    ]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** Canonical header lines for the signed headers: lower-case names, trimmed values with inner runs of spaces folded. */
export function canonicalHeaders(headers: Headers, signed: readonly string[]): string {
  let out = "";
  for (const name of signed) {
    const value = headerText(headers.get(name) ?? "").trim().replace(/\s+/g, " ");
    out += `${name}:${value}\n`;
  }
  return out;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
// deno-lint-ignore no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

/**
 * A header value as the client signed it. The server sees each byte of a
 * value as one character; a client that sent UTF-8 (boto3, the JS SDK under
 * Deno) signed the text those bytes encode, one that sent Latin-1 (Node's
 * http) the characters themselves. Bytes that decode as UTF-8 are taken as
 * UTF-8, as S3 does with the bytes it receives; anything else as it is.
 */
export function headerText(value: string): string {
  if (ASCII.test(value) || /[\u0100-\uffff]/.test(value)) return value;
  try {
    return UTF8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
  } catch {
    return value;
  }
}

/** The canonical request of SigV4. */
export function canonicalRequest(
  method: string,
  uri: string,
  query: string,
  headerLines: string,
  signedHeaders: readonly string[],
  payloadHash: string,
): string {
  return [method, uri, query, headerLines, signedHeaders.join(";"), payloadHash].join("\n");
}

/** Hex SHA-256 of a string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The string to sign for a canonical request. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** The SigV4 signing key for a secret, date (YYYYMMDD), region and service. */
export function signingKey(
  secret: string,
  date: string,
  region: string,
  service: string,
): Uint8Array {
  const kDate = createHmac("sha256", "AWS4" + secret).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(region).digest();
  const kService = createHmac("sha256", kRegion).update(service).digest();
  return new Uint8Array(createHmac("sha256", kService).update("aws4_request").digest());
}

/** Signing keys of one verifier, kept per secret, day, region and service (four HMACs saved a request). */
export class SigningKeys {
  readonly #keys = new Map<string, Uint8Array>();

  /** The signing key (see signingKey), from the cache when it was derived before. */
  get(secret: string, date: string, region: string, service: string): Uint8Array {
    const id = `${secret}\0${date}\0${region}\0${service}`;
    let key = this.#keys.get(id);
    if (!key) {
      key = signingKey(secret, date, region, service);
      if (this.#keys.size > 256) this.#keys.clear();
      this.#keys.set(id, key);
    }
    return key;
  }
}

const BLOCK = 64;

/** The inner and outer padded blocks of HMAC keys in use (signing keys are cached objects). */
const padsOf = new WeakMap<Uint8Array, readonly [Uint8Array, Uint8Array]>();

function hmacPads(key: Uint8Array): readonly [Uint8Array, Uint8Array] {
  let pads = padsOf.get(key);
  if (!pads) {
    const block = new Uint8Array(BLOCK);
    block.set(key.length > BLOCK ? createHash("sha256").update(key).digest() : key);
    const inner = new Uint8Array(BLOCK);
    const outer = new Uint8Array(BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      inner[i] = block[i] ^ 0x36;
      outer[i] = block[i] ^ 0x5c;
    }
    pads = [inner, outer];
    padsOf.set(key, pads);
  }
  return pads;
}

/**
 * Hex HMAC-SHA256 (RFC 2104) as two plain SHA-256 hashes over the padded
 * key, the pads kept per key: `node:crypto`'s `createHmac` costs about 20 µs
 * a call in Deno (it builds a key object every time), and so did fresh pads
 * (a new small array handed to a native call is first moved off the V8
 * heap); this about 8 µs. Every signed request and every signed chunk
 * computes one.
 */
export function hmacHex(key: Uint8Array, data: string): string {
  const [innerPad, outerPad] = hmacPads(key);
  const inner = createHash("sha256").update(innerPad).update(data).digest();
  return createHash("sha256").update(outerPad).update(inner).digest("hex");
}

/**
 * Compares two signatures in constant time for equal lengths: every
 * character is looked at whatever the first difference (no Buffers needed).
 */
export function signaturesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Parses `YYYYMMDDTHHMMSSZ`; null when malformed. */
export function parseAmzDate(s: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Formats a date as `YYYYMMDDTHHMMSSZ`. */
export function formatAmzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

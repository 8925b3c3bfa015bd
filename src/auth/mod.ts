/**
 * Authentication and payload decoding: the one entry point the server uses.
 * (Placeholder implementation: accepts everything and passes bodies through.
 * The auth work replaces the bodies of these functions, keeping the signatures.)
 */
import type { Config } from "../config.ts";

/** What the authenticator needs to know of a request. */
export interface AuthInput {
  /** HTTP method, upper case. */
  method: string;
  /** Path exactly as on the request line: percent-encoded, never normalised. */
  rawPath: string;
  /** Query string exactly as sent, without the leading `?` ("" when none). */
  rawQuery: string;
  /** Request headers. */
  headers: Headers;
  /** Clock for skew and expiry checks (tests pass their own). */
  now?: Date;
}

/** The outcome of a successful authentication. */
export interface AuthResult {
  /** Access key the request was signed with; null when auth is off or the request is anonymous-allowed. */
  accessKey: string | null;
  /** Opaque state needed to verify a streaming (aws-chunked) body's chunk signatures. */
  streaming?: unknown;
}

/** The request body as the operation sees it: decoded and verified while it streams. */
export interface DecodedBody {
  /** The decoded payload (aws-chunked framing removed); errors with an S3Error on any mismatch. Null for no body. */
  stream: ReadableStream<Uint8Array> | null;
  /** Decoded payload length when known in advance (Content-Length or x-amz-decoded-content-length). */
  length: number | null;
  /**
   * After `stream` has been read to its end: the flexible checksums that were
   * sent and verified, by algorithm (`crc32`, `crc32c`, `crc64nvme`, `sha1`,
   * `sha256`) as base64 values, to be stored with the object.
   */
  checksums(): Record<string, string>;
}

/** Verifies requests against the configured credentials. */
export interface Authenticator {
  /** Verifies the request's signature; throws S3Error (AccessDenied, SignatureDoesNotMatch, ...) on failure. */
  authenticate(input: AuthInput): Promise<AuthResult>;
  /** Wraps the raw body into a decoded, verifying stream according to the request's payload mode. */
  decodeBody(
    body: ReadableStream<Uint8Array> | null,
    headers: Headers,
    auth: AuthResult,
  ): DecodedBody;
}

/** Creates the authenticator for a config (loads the credentials file if set). */
export function createAuthenticator(_config: Config): Promise<Authenticator> {
  return Promise.resolve({
    authenticate: () => Promise.resolve({ accessKey: null }),
    decodeBody(body, headers) {
      const len = headers.get("content-length");
      return {
        stream: body,
        length: len === null ? null : Number(len),
        checksums: () => ({}),
      };
    },
  });
}

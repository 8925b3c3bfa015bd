/**
 * Authentication and payload decoding: the one entry point the server uses.
 * Requests are verified with SigV4 or SigV2 (header or presigned) against
 * the users (the configured key pair plus the users file); a request with
 * no signature at all is anonymous, for the access policies to judge.
 * Bodies are decoded and verified by `decodeRequestBody` whatever the auth
 * setting.
 */
import type { Config } from "../config/mod.ts";
import { S3Error } from "../errors.ts";
import { type DecodedBody, decodeRequestBody } from "./body.ts";
import { secretLookup, SigV4Verifier, type StreamingSigner } from "./verify.ts";
import { ALGORITHM, SigningKeys } from "./sigv4.ts";
import { verifyV2Header, verifyV2Query } from "./sigv2.ts";
import { UserDirectory } from "./users.ts";
import { verifyPostForm } from "./post.ts";

export type { DecodedBody } from "./body.ts";
export { parseUsersFile, type User, UserDirectory, usersDocument } from "./users.ts";

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
  /** `rawQuery` already parsed, when the caller has it. */
  query?: URLSearchParams;
  /** Clock for skew and expiry checks (tests pass their own). */
  now?: Date;
  /** The bucket named by the Host header (virtual-hosted style); SigV2 signs it. */
  hostBucket?: string;
}

/** The outcome of a successful authentication. */
export interface AuthResult {
  /** Access key the request was signed with; null when auth is off or the request is anonymous. */
  accessKey: string | null;
  /** True for a request that carries no signature at all (auth on). */
  anonymous?: boolean;
  /** `AWS` (SigV2) or `AWS4-HMAC-SHA256` (the `s3:signatureversion` condition key). */
  signatureVersion?: string;
  /** `REST-HEADER` or `REST-QUERY-STRING` (the `s3:authType` condition key). */
  authType?: string;
  /** Chunk-signature state of a signed request, for streaming (aws-chunked) bodies. */
  streaming?: StreamingSigner;
}

/** Verifies requests against the configured credentials. */
export interface Authenticator {
  /** Verifies the request's signature; throws S3Error (AccessDenied, SignatureDoesNotMatch, ...) on failure. */
  authenticate(input: AuthInput): Promise<AuthResult>;
  /**
   * Verifies the signature of a browser POST form (fields by lower-case
   * name): the signer, or an anonymous result when the form carries no
   * signature (or auth is off); throws as authenticate() does.
   */
  verifyPost(fields: ReadonlyMap<string, string>): AuthResult;
  /** Wraps the raw body into a decoded, verifying stream according to the request's payload mode. */
  decodeBody(
    body: ReadableStream<Uint8Array> | null,
    headers: Headers,
    auth: AuthResult,
  ): DecodedBody;
}

/** The authenticator for a config and its users (by default only `-access-key`'s). */
export function createAuthenticator(
  config: Config,
  users: UserDirectory = new UserDirectory(config),
): Authenticator {
  const secretOf = secretLookup(users);
  const verifier = new SigV4Verifier(secretOf, config.region);
  const postKeys = new SigningKeys();
  return {
    authenticate(input) {
      if (!config.auth) return Promise.resolve({ accessKey: null });
      const req = { ...input, now: input.now ?? new Date() };
      const authorization = input.headers.get("authorization");
      if (authorization !== null) {
        if (authorization.startsWith("AWS ")) {
          return Promise.resolve({
            accessKey: verifyV2Header(req, authorization, secretOf).accessKey,
            ...V2_HEADER,
          });
        }
        if (!authorization.startsWith(ALGORITHM)) {
          throw new S3Error(
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
          );
        }
        const v = verifier.verifyHeader(req, authorization);
        return Promise.resolve({
          accessKey: v.accessKey,
          streaming: v.signer ?? undefined,
          ...V4_HEADER,
        });
      }
      const query = input.query ?? new URLSearchParams(input.rawQuery);
      if (
        query.has("X-Amz-Algorithm") || query.has("X-Amz-Signature") ||
        query.has("X-Amz-Credential")
      ) {
        const v = verifier.verifyPresigned(req, query);
        return Promise.resolve({ accessKey: v.accessKey, ...V4_QUERY });
      }
      if (query.has("AWSAccessKeyId") && query.has("Signature")) {
        return Promise.resolve({
          accessKey: verifyV2Query(req, query, secretOf).accessKey,
          ...V2_QUERY,
        });
      }
      return Promise.resolve({ accessKey: null, anonymous: true });
    },
    verifyPost(fields) {
      if (!config.auth) return { accessKey: null };
      const signer = verifyPostForm(fields, { secretOf, keys: postKeys, region: config.region });
      if (!signer) return { accessKey: null, anonymous: true, authType: "POST" };
      return { ...signer, authType: "POST" };
    },
    decodeBody(body, headers, auth) {
      const signedChunks = (headers.get("x-amz-content-sha256") ?? "").startsWith(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      );
      return decodeRequestBody(
        body,
        headers,
        signedChunks && auth.streaming ? auth.streaming : null,
      );
    },
  };
}

const V4_HEADER = { signatureVersion: ALGORITHM, authType: "REST-HEADER" };
const V4_QUERY = { signatureVersion: ALGORITHM, authType: "REST-QUERY-STRING" };
const V2_HEADER = { signatureVersion: "AWS", authType: "REST-HEADER" };
const V2_QUERY = { signatureVersion: "AWS", authType: "REST-QUERY-STRING" };

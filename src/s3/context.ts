/** The per-request context every S3 operation receives. */
import type { Config } from "../config/mod.ts";
import type { Authenticator, AuthResult, DecodedBody } from "../auth/mod.ts";
import type { Storage } from "../storage/mod.ts";
import type { EventOrigin, Notifier } from "./events.ts";

/** Everything an operation needs about one request. */
export interface RequestContext {
  /** The request as received. */
  readonly req: Request;
  /** Server configuration. */
  readonly config: Config;
  /** The store. */
  readonly storage: Storage;
  /** Request id (`x-amz-request-id`). */
  readonly requestId: string;
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path as on the request line. */
  readonly rawPath: string;
  /** Query string as sent, without `?`. */
  readonly rawQuery: string;
  /** Decoded query parameters. */
  readonly query: URLSearchParams;
  /** Request headers. */
  readonly headers: Headers;
  /** Bucket name ("" for the service). */
  readonly bucket: string;
  /** Object key ("" for bucket and service requests). */
  readonly key: string;
  /** Result of authentication. */
  readonly auth: AuthResult;
  /** The caller's IP address. */
  readonly sourceIp: string;
  /** The caller as event records name it (`userIdentity.principalId`). */
  readonly principalId: string;
  /** Queues the event notifications of what the request changes. */
  readonly notifier: Notifier;
  /** The authenticator (for decoding bodies). */
  readonly authenticator: Authenticator;
  /**
   * Whether the caller may do `action` (`s3:DeleteObject`) on `key` of
   * `bucket` (the request's bucket by default; no key: the bucket itself).
   * The front decides; operations that judge item by item (DeleteObjects,
   * ListBuckets) ask it.
   */
  readonly permits: (action: string, key?: string, bucket?: string) => Promise<boolean>;
  /**
   * Authorizes the request again as `auth` (a POST form's signer) writing
   * `key`, with `headers` standing for the request's (the form's fields):
   * the front's decision, as for any request; throws AccessDenied.
   */
  readonly authorizeAs: (auth: AuthResult, key: string, headers: Headers) => Promise<void>;
}

/** Where the events a request makes come from. */
export function eventOrigin(ctx: RequestContext): EventOrigin {
  return {
    bucket: ctx.bucket,
    requestId: ctx.requestId,
    sourceIp: ctx.sourceIp,
    principalId: ctx.principalId,
  };
}

/** Queues event `name` (`s3:ObjectTagging:Put`) of a change to the request's object, `meta` after it. */
export function emitChange(
  ctx: RequestContext,
  name: string,
  meta: { etag: string; versionId?: string },
): Promise<void> {
  return ctx.notifier.emit(eventOrigin(ctx), name, {
    key: ctx.key,
    etag: meta.etag,
    versionId: meta.versionId,
  });
}

/** The decoded, verifying body of a request (see Authenticator.decodeBody). */
export function requestBody(ctx: RequestContext): DecodedBody {
  return ctx.authenticator.decodeBody(ctx.req.body, ctx.headers, ctx.auth);
}

/**
 * The body of a request whose `x-amz-checksum-*` headers name the object made rather than the
 * body sent (CompleteMultipartUpload): those headers are not checked against the body.
 */
export function documentBody(ctx: RequestContext): DecodedBody {
  const headers = new Headers(ctx.headers);
  for (const name of [...headers.keys()]) {
    if (name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-algorithm") {
      headers.delete(name);
    }
  }
  return ctx.authenticator.decodeBody(ctx.req.body, headers, ctx.auth);
}

/** Drains and discards a request body (for operations that ignore it). */
export async function discardBody(ctx: RequestContext): Promise<void> {
  if (!ctx.req.body) return;
  try {
    for await (const _ of ctx.req.body) {
      // discard
    }
  } catch {
    // The client went away; nothing to do.
  }
}

/**
 * Request authentication: SigV4 in the Authorization header and in
 * presigned query strings, checked against the known credentials.
 */
import { S3Error } from "../errors.ts";
import {
  ALGORITHM,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUris,
  formatAmzDate,
  hmacHex,
  parseAmzDate,
  signaturesEqual,
  SigningKeys,
  stringToSign,
} from "./sigv4.ts";

/** Largest clock difference accepted, as S3. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Longest presigned URL lifetime, in seconds (one week). */
export const MAX_EXPIRES = 604800;

/** What verification needs of a request. */
export interface SignedRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Headers;
  now: Date;
  /** The bucket the Host header named (virtual-hosted style), else undefined. */
  hostBucket?: string;
}

/** The state a streaming (aws-chunked) body's chunk signatures chain from. */
export interface StreamingSigner {
  /** Signing key of the request. */
  key: Uint8Array;
  /** The request's timestamp, `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
  /** Credential scope `date/region/s3/aws4_request`. */
  scope: string;
  /** The request's own signature: the first chunk's "previous signature". */
  seed: string;
}

/** A verified request. */
export interface Verified {
  accessKey: string;
  /** Chunk-signing state (SigV4 header auth); null for SigV2. */
  signer: StreamingSigner | null;
}

const PAYLOAD_MODES = new Set([
  "UNSIGNED-PAYLOAD",
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
]);

/** True for a payload hash value S3 accepts in `x-amz-content-sha256`. */
function isValidPayloadHash(v: string): boolean {
  return PAYLOAD_MODES.has(v) || /^[0-9a-f]{64}$/i.test(v);
}

interface Credential {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  scope: string;
}

function parseCredential(value: string, malformed: (msg: string) => S3Error): Credential {
  const parts = value.split("/");
  if (
    parts.length !== 5 || parts[4] !== "aws4_request" || !/^\d{8}$/.test(parts[1]) ||
    parts[0] === ""
  ) {
    throw malformed(
      'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  if (parts[3] !== "s3") {
    throw malformed(`incorrect service "${parts[3]}". This endpoint belongs to "s3".`);
  }
  const [accessKey, date, region, service] = parts;
  return { accessKey, date, region, service, scope: parts.slice(1).join("/") };
}

/** The secret of an access key; throws InvalidAccessKeyId for an unknown key. */
export type SecretLookup = (accessKey: string) => string;

/** A SecretLookup over a map of access key -> secret (or anything with its `get`). */
export function secretLookup(
  secrets: { get(accessKey: string): string | undefined },
): SecretLookup {
  return (accessKey) => {
    const secret = secrets.get(accessKey);
    if (secret === undefined) {
      throw new S3Error("InvalidAccessKeyId", undefined, { extra: { AWSAccessKeyId: accessKey } });
    }
    return secret;
  };
}

/** The credential scope's date must be the request's date. */
function checkScopeDate(
  cred: Credential,
  amzDate: string,
  malformed: (why: string) => S3Error,
): void {
  if (amzDate.slice(0, 8) !== cred.date) {
    throw malformed(
      `invalid credential date "${cred.date}". This date is not the same as X-Amz-Date: "${
        amzDate.slice(0, 8)
      }".`,
    );
  }
}

/**
 * The credential scope must name this server's region, as S3 requires of a
 * regional endpoint; the error names the region expected, which SDKs read to
 * re-sign (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html).
 */
function checkRegion(cred: Credential, region: string, malformed: (why: string) => S3Error): void {
  if (cred.region === region) return;
  const e = malformed(`the region '${cred.region}' is wrong; expecting '${region}'`);
  throw new S3Error(e.code, e.message, { extra: { Region: region } });
}

/**
 * Refuses a request whose signature leaves out `host` or an `x-amz-*` header it
 * carries: such a header could have been added by anyone holding a presigned
 * URL, or on the way, and would change the operation (a PUT turned into a
 * copy, metadata or tags added). S3 answers AccessDenied naming them.
 */
function checkAllSigned(headers: Headers, signed: readonly string[]): void {
  const names = new Set(signed);
  const unsigned: string[] = names.has("host") ? [] : ["host"];
  headers.forEach((_value, name) => {
    if (name.startsWith("x-amz-") && !names.has(name)) unsigned.push(name);
  });
  if (unsigned.length === 0) return;
  throw new S3Error(
    "AccessDenied",
    "There were headers present in the request which were not signed",
    { extra: { HeadersNotSigned: unsigned.join(", ") } },
  );
}

/** Verifies requests against a lookup of secrets by access key. */
export class SigV4Verifier {
  readonly #keys = new SigningKeys();

  /** Verifies with `secretOf`, for signatures scoped to `region`. */
  constructor(private readonly secretOf: SecretLookup, private readonly region = "us-east-1") {}

  /** Verifies an `Authorization: AWS4-HMAC-SHA256 ...` request. */
  verifyHeader(req: SignedRequest, authorization: string): Verified {
    const malformed = (why: string) =>
      new S3Error("AuthorizationHeaderMalformed", `The authorization header is malformed; ${why}`);
    const fields = new Map<string, string>();
    for (
      const m of authorization.slice(ALGORITHM.length).matchAll(/([A-Za-z]+)\s*=\s*([^,\s]*)/g)
    ) {
      fields.set(m[1], m[2]);
    }
    const credential = fields.get("Credential");
    const signedList = fields.get("SignedHeaders");
    const signature = fields.get("Signature");
    if (!credential || !signedList || !signature) {
      throw malformed("it must contain Credential, SignedHeaders and Signature.");
    }
    const cred = parseCredential(credential, malformed);
    checkRegion(cred, this.region, malformed);
    const secret = this.secretOf(cred.accessKey);
    const { headers } = req;
    const amzDateHeader = headers.get("x-amz-date");
    let when: Date | null;
    let amzDate: string;
    if (amzDateHeader !== null) {
      when = parseAmzDate(amzDateHeader.trim());
      amzDate = amzDateHeader.trim();
    } else {
      const date = headers.get("date");
      when = date ? new Date(date) : null;
      if (when && Number.isNaN(when.getTime())) when = null;
      amzDate = when ? formatAmzDate(when) : "";
    }
    if (!when) {
      throw new S3Error(
        "AccessDenied",
        "AWS authentication requires a valid Date or x-amz-date header",
      );
    }
    checkSkew(when, req.now);
    checkScopeDate(cred, amzDate, malformed);
    const payload = headers.get("x-amz-content-sha256");
    if (payload === null) {
      throw new S3Error(
        "InvalidRequest",
        "Missing required header for this request: x-amz-content-sha256",
      );
    }
    if (!isValidPayloadHash(payload)) {
      throw new S3Error(
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.",
      );
    }
    const signed = signedList.toLowerCase().split(";");
    checkAllSigned(headers, signed);
    const key = this.#keys.get(secret, cred.date, cred.region, cred.service);
    this.#check(req, key, cred, amzDate, signed, payload, signature, req.rawQuery, undefined);
    return {
      accessKey: cred.accessKey,
      signer: { key, amzDate, scope: cred.scope, seed: signature },
    };
  }

  /** Verifies a presigned URL (`X-Amz-Algorithm=AWS4-HMAC-SHA256&...`). */
  verifyPresigned(req: SignedRequest, query: URLSearchParams): Verified {
    const get = (n: string) => query.get(n);
    const missing = [
      "X-Amz-Algorithm",
      "X-Amz-Credential",
      "X-Amz-Signature",
      "X-Amz-Date",
      "X-Amz-SignedHeaders",
      "X-Amz-Expires",
    ]
      .some((n) => !get(n));
    if (missing) {
      throw new S3Error(
        "AuthorizationQueryParametersError",
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      );
    }
    if (get("X-Amz-Algorithm") !== ALGORITHM) {
      throw new S3Error(
        "AuthorizationQueryParametersError",
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
      );
    }
    const expiresText = get("X-Amz-Expires")!;
    if (!/^\d+$/.test(expiresText)) {
      throw new S3Error("AuthorizationQueryParametersError", "X-Amz-Expires should be a number");
    }
    const expires = Number(expiresText);
    if (expires < 1) {
      throw new S3Error("AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative");
    }
    if (expires > MAX_EXPIRES) {
      throw new S3Error(
        "AuthorizationQueryParametersError",
        "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
      );
    }
    const malformed = (why: string) =>
      new S3Error(
        "AuthorizationQueryParametersError",
        `Error parsing the X-Amz-Credential parameter; ${why}`,
      );
    const cred = parseCredential(get("X-Amz-Credential")!, malformed);
    checkRegion(cred, this.region, malformed);
    const secret = this.secretOf(cred.accessKey);
    const amzDate = get("X-Amz-Date")!;
    const when = parseAmzDate(amzDate);
    if (!when) {
      throw new S3Error(
        "AuthorizationQueryParametersError",
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
      );
    }
    if (when.getTime() - req.now.getTime() > MAX_SKEW_MS) {
      throw new S3Error("AccessDenied", "Request is not valid yet");
    }
    if (req.now.getTime() > when.getTime() + expires * 1000) {
      throw new S3Error("AccessDenied", "Request has expired");
    }
    checkScopeDate(cred, amzDate, malformed);
    const signature = get("X-Amz-Signature")!;
    const signed = get("X-Amz-SignedHeaders")!.toLowerCase().split(";");
    checkAllSigned(req.headers, signed);
    const payload = get("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD";
    const key = this.#keys.get(secret, cred.date, cred.region, cred.service);
    this.#check(
      req,
      key,
      cred,
      amzDate,
      signed,
      payload,
      signature,
      req.rawQuery,
      "X-Amz-Signature",
    );
    return {
      accessKey: cred.accessKey,
      signer: { key, amzDate, scope: cred.scope, seed: signature },
    };
  }

  /** Computes the expected signature (for each acceptable canonical URI) and compares. */
  #check(
    req: SignedRequest,
    key: Uint8Array,
    cred: Credential,
    amzDate: string,
    signed: string[],
    payload: string,
    signature: string,
    rawQuery: string,
    omit: string | undefined,
  ): void {
    const query = canonicalQuery(rawQuery, omit);
    const headerLines = canonicalHeaders(req.headers, signed);
    let first: { canonical: string; toSign: string } | null = null;
    for (const uri of canonicalUris(req.rawPath)) {
      const canonical = canonicalRequest(req.method, uri, query, headerLines, signed, payload);
      const toSign = stringToSign(amzDate, cred.scope, canonical);
      if (signaturesEqual(hmacHex(key, toSign), signature.toLowerCase())) return;
      first ??= { canonical, toSign };
    }
    throw new S3Error("SignatureDoesNotMatch", undefined, {
      extra: {
        AWSAccessKeyId: cred.accessKey,
        StringToSign: first!.toSign,
        CanonicalRequest: first!.canonical,
      },
    });
  }
}

function checkSkew(when: Date, now: Date): void {
  if (Math.abs(when.getTime() - now.getTime()) > MAX_SKEW_MS) {
    throw new S3Error("RequestTimeTooSkewed", undefined, {
      extra: {
        RequestTime: when.toISOString(),
        ServerTime: now.toISOString(),
        MaxAllowedSkewMilliseconds: "900000",
      },
    });
  }
}

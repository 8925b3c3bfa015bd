/**
 * Presigned SigV4 URLs (query-string auth, UNSIGNED-PAYLOAD) for the
 * benchmark: load generators replay them without signing anything themselves.
 */
import {
  ALGORITHM,
  awsUriEncode,
  canonicalQuery,
  canonicalRequest,
  formatAmzDate,
  hmacHex,
  SigningKeys,
  stringToSign,
} from "../src/auth/sigv4.ts";

/** The benchmark presigns many URLs with one key a day: derived once. */
const KEYS = new SigningKeys();

/** Credentials and region used to sign. */
export interface Signer {
  accessKey: string;
  secretKey: string;
  region: string;
}

/** `url` with SigV4 query authentication for `method`, valid for `expires` seconds. */
export function presign(signer: Signer, method: string, url: string, expires = 3600): string {
  const u = new URL(url);
  const amzDate = formatAmzDate(new Date());
  const scope = `${amzDate.slice(0, 8)}/${signer.region}/s3/aws4_request`;
  u.searchParams.set("X-Amz-Algorithm", ALGORITHM);
  u.searchParams.set("X-Amz-Credential", `${signer.accessKey}/${scope}`);
  u.searchParams.set("X-Amz-Date", amzDate);
  u.searchParams.set("X-Amz-Expires", String(expires));
  u.searchParams.set("X-Amz-SignedHeaders", "host");
  const query = [...u.searchParams]
    .map(([k, v]) => `${awsUriEncode(k, false)}=${awsUriEncode(v, false)}`)
    .join("&");
  const canonical = canonicalRequest(
    method,
    u.pathname,
    canonicalQuery(query),
    `host:${u.host}\n`,
    ["host"],
    "UNSIGNED-PAYLOAD",
  );
  const key = KEYS.get(signer.secretKey, amzDate.slice(0, 8), signer.region, "s3");
  const signature = hmacHex(key, stringToSign(amzDate, scope, canonical));
  return `${u.origin}${u.pathname}?${query}&X-Amz-Signature=${signature}`;
}

/**
 * The fields of a browser POST form signed by `signer` (SigV4) for `key`
 * under a policy that allows any file up to `maxBytes`, valid for an hour.
 */
export function postFormFields(
  signer: Signer,
  opts: { bucket: string; key: string; maxBytes: number },
): Record<string, string> {
  const amzDate = formatAmzDate(new Date());
  const date = amzDate.slice(0, 8);
  const credential = `${signer.accessKey}/${date}/${signer.region}/s3/aws4_request`;
  const policy = btoa(JSON.stringify({
    expiration: new Date(Date.now() + 3600_000).toISOString(),
    conditions: [
      { bucket: opts.bucket },
      { key: opts.key },
      ["content-length-range", 0, opts.maxBytes],
      { "x-amz-algorithm": ALGORITHM },
      { "x-amz-credential": credential },
      { "x-amz-date": amzDate },
    ],
  }));
  const key = KEYS.get(signer.secretKey, date, signer.region, "s3");
  return {
    key: opts.key,
    "x-amz-algorithm": ALGORITHM,
    "x-amz-credential": credential,
    "x-amz-date": amzDate,
    policy,
    "x-amz-signature": hmacHex(key, policy),
  };
}

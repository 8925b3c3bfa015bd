/**
 * The example values of AWS's Signature Version 4 documentation for S3
 * (GET Object with a range header), to check canonicalisation independently
 * of any SDK.
 */
import type { AuthInput } from "../../src/auth/mod.ts";

/** The documentation's example key pair. */
export const EXAMPLE_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
/** Secret of EXAMPLE_ACCESS_KEY. */
export const EXAMPLE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/** The examples' request time. */
export const EXAMPLE_NOW = new Date("2013-05-24T00:00:00Z");
/** The documented signature of the GET Object example. */
export const EXAMPLE_GET_SIGNATURE =
  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

/** The GET Object example request, carrying `signature` (the documented one by default). */
export function exampleGetRequest(signature = EXAMPLE_GET_SIGNATURE): AuthInput {
  return {
    method: "GET",
    rawPath: "/test.txt",
    rawQuery: "",
    now: EXAMPLE_NOW,
    headers: new Headers({
      host: "examplebucket.s3.amazonaws.com",
      range: "bytes=0-9",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "x-amz-date": "20130524T000000Z",
      authorization:
        `AWS4-HMAC-SHA256 Credential=${EXAMPLE_ACCESS_KEY}/20130524/us-east-1/s3/aws4_request,` +
        `SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
    }),
  };
}

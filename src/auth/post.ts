/**
 * The signature of a browser POST upload: over the base64 `policy` field,
 * with SigV4 (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
 * `x-amz-signature`) or SigV2 (`AWSAccessKeyId`, `signature`). A form with
 * neither is anonymous.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
 */
import { createHmac } from "node:crypto";
import { S3Error } from "../errors.ts";
import { ALGORITHM, hmacHex, signaturesEqual, type SigningKeys } from "./sigv4.ts";
import type { SecretLookup } from "./verify.ts";

/** Who signed a POST form: its access key and how, or null for an anonymous form. */
export interface PostSigner {
  accessKey: string;
  signatureVersion: string;
}

/** What checking a form's signature needs. */
export interface PostVerifier {
  secretOf: SecretLookup;
  keys: SigningKeys;
  region: string;
}

/** Checks the signature of a POST form (fields by lower-case name); null when it carries none. */
export function verifyPostForm(
  fields: ReadonlyMap<string, string>,
  v: PostVerifier,
): PostSigner | null {
  const policy = fields.get("policy");
  if (fields.has("x-amz-signature") || fields.has("x-amz-credential")) {
    return verifyV4(fields, policy, v);
  }
  if (fields.has("signature") || fields.has("awsaccesskeyid")) {
    const accessKey = required(fields, "awsaccesskeyid", "AWSAccessKeyId");
    const signature = required(fields, "signature", "Signature");
    const text = policy ?? missing("Policy");
    const secret = v.secretOf(accessKey);
    const expected = createHmac("sha1", secret).update(text).digest("base64");
    if (!signaturesEqual(expected, signature)) {
      throw new S3Error("SignatureDoesNotMatch", undefined, {
        extra: { AWSAccessKeyId: accessKey, StringToSign: text },
      });
    }
    return { accessKey, signatureVersion: "AWS" };
  }
  return null;
}

function verifyV4(
  fields: ReadonlyMap<string, string>,
  policy: string | undefined,
  v: PostVerifier,
): PostSigner {
  const algorithm = required(fields, "x-amz-algorithm", "X-Amz-Algorithm");
  if (algorithm !== ALGORITHM) {
    throw new S3Error("InvalidArgument", `X-Amz-Algorithm only supports "${ALGORITHM}"`, {
      extra: { ArgumentName: "x-amz-algorithm", ArgumentValue: algorithm },
    });
  }
  const credential = required(fields, "x-amz-credential", "X-Amz-Credential");
  const amzDate = required(fields, "x-amz-date", "X-Amz-Date");
  const signature = required(fields, "x-amz-signature", "X-Amz-Signature");
  const text = policy ?? missing("Policy");
  const parts = credential.split("/");
  if (
    parts.length !== 5 || parts[4] !== "aws4_request" || parts[3] !== "s3" ||
    !/^\d{8}$/.test(parts[1]) || parts[0] === ""
  ) {
    throw new S3Error("InvalidArgument", "Error parsing the X-Amz-Credential parameter", {
      extra: { ArgumentName: "x-amz-credential", ArgumentValue: credential },
    });
  }
  const [accessKey, date, region] = parts;
  if (region !== v.region) {
    throw new S3Error(
      "AuthorizationQueryParametersError",
      `Error parsing the X-Amz-Credential parameter; the region '${region}' is wrong; expecting '${v.region}'`,
      { extra: { Region: v.region } },
    );
  }
  if (!amzDate.startsWith(date)) {
    throw new S3Error("InvalidArgument", "X-Amz-Date does not match the credential's date", {
      extra: { ArgumentName: "x-amz-date", ArgumentValue: amzDate },
    });
  }
  const secret = v.secretOf(accessKey);
  const expected = hmacHex(v.keys.get(secret, date, region, "s3"), text);
  if (!signaturesEqual(expected, signature)) {
    throw new S3Error("SignatureDoesNotMatch", undefined, {
      extra: { AWSAccessKeyId: accessKey, StringToSign: text },
    });
  }
  return { accessKey, signatureVersion: ALGORITHM };
}

function required(fields: ReadonlyMap<string, string>, name: string, shown: string): string {
  return fields.get(name) ?? missing(shown);
}

function missing(shown: string): never {
  throw new S3Error(
    "InvalidArgument",
    `Bucket POST must contain a field named '${shown}'.  If it is specified, please check the order of the fields.`,
    { extra: { ArgumentName: shown, ArgumentValue: "" } },
  );
}

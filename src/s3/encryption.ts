/**
 * Server-side encryption as S3 reports it: `x-amz-server-side-encryption`
 * (AES256, aws:kms, aws:kms:dsse) on writes, or the bucket's default
 * encryption, recorded with the object and answered on reads, writes and
 * copies. The bytes stay plain files: encryption at rest is the
 * filesystem's (README).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html
 */
import { S3Error } from "../errors.ts";
import type { ObjectAttributes, Storage } from "../storage/mod.ts";
import { parseXml } from "./xml.ts";
import { BucketConfigCache } from "./bucket_cache.ts";
import { sseCHeaders } from "./sse_c.ts";

/** The default encryption document (see bucket_settings.ts). */
export const ENCRYPTION_DOC = "encryption.xml";

const ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

type Sse = NonNullable<ObjectAttributes["sse"]>;

/** The encryption a write's headers ask for, checked as S3 checks it; undefined when none. */
export function sseFromHeaders(headers: Headers): Sse | undefined {
  const algorithm = headers.get("x-amz-server-side-encryption");
  const kmsKeyId = headers.get("x-amz-server-side-encryption-aws-kms-key-id") ?? undefined;
  const bucketKey = headers.get("x-amz-server-side-encryption-bucket-key-enabled");
  if (algorithm === null) {
    if (kmsKeyId !== undefined) {
      throw new S3Error(
        "InvalidArgument",
        "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
      );
    }
    return undefined;
  }
  if (!ALGORITHMS.has(algorithm)) {
    throw new S3Error("InvalidArgument", "The encryption method specified is not supported", {
      extra: { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: algorithm },
    });
  }
  if (algorithm === "AES256" && kmsKeyId !== undefined) {
    throw new S3Error(
      "InvalidArgument",
      "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
    );
  }
  const sse: Sse = { algorithm };
  if (kmsKeyId !== undefined) sse.kmsKeyId = kmsKeyId;
  if (bucketKey !== null) sse.bucketKeyEnabled = bucketKey.toLowerCase() === "true";
  return sse;
}

/** Parsed default encryption of each bucket, read again when its configuration changes. */
const defaults = new BucketConfigCache<Sse | undefined>((storage, bucket) =>
  storage.readBucketConfig(bucket, ENCRYPTION_DOC).then(async (doc) => {
    if (!doc) return undefined;
    const config = await parseXml(doc.text, "ServerSideEncryptionConfiguration");
    const rule = config.Rule as Record<string, unknown>;
    const apply = rule.ApplyServerSideEncryptionByDefault as Record<string, string>;
    const found: Sse = { algorithm: apply.SSEAlgorithm };
    if (apply.KMSMasterKeyID) found.kmsKeyId = apply.KMSMasterKeyID;
    if (rule.BucketKeyEnabled !== undefined) {
      found.bucketKeyEnabled = rule.BucketKeyEnabled === "true";
    }
    return found;
  }).catch(() => undefined)
);

/** The encryption a new object of `bucket` gets without asking: the bucket's default, if any. */
export async function bucketDefaultSse(storage: Storage, bucket: string): Promise<Sse | undefined> {
  return await defaults.get(storage, bucket);
}

/** `attributes` with the bucket's default encryption when the write asked for none. */
export async function withDefaultSse(
  storage: Storage,
  bucket: string,
  attributes: ObjectAttributes,
): Promise<ObjectAttributes> {
  if (attributes.sse) return attributes;
  const sse = await bucketDefaultSse(storage, bucket);
  return sse ? { ...attributes, sse } : attributes;
}

/** The response headers that report an object's encryption, SSE-C's included. */
export function encryptionHeaders(
  meta: Pick<ObjectAttributes, "sse" | "ssec">,
): Record<string, string> {
  return { ...sseHeaders(meta.sse), ...(meta.ssec ? sseCHeaders(meta.ssec.keyMd5) : {}) };
}

function sseHeaders(sse: ObjectAttributes["sse"]): Record<string, string> {
  if (!sse) return {};
  const h: Record<string, string> = { "x-amz-server-side-encryption": sse.algorithm };
  if (sse.kmsKeyId) h["x-amz-server-side-encryption-aws-kms-key-id"] = sse.kmsKeyId;
  if (sse.bucketKeyEnabled !== undefined) {
    h["x-amz-server-side-encryption-bucket-key-enabled"] = String(sse.bucketKeyEnabled);
  }
  return h;
}

/** Names in requests: bucket names checked against S3's rules, and the copy source header. */
import { S3Error } from "../errors.ts";
import { isValidBucketName } from "../storage/mod.ts";

/**
 * The bucket name a request addresses, checked against S3's naming rules:
 * InvalidBucketName otherwise. Every way a request names a bucket (path,
 * virtual host, copy source) passes here before anything touches the disk,
 * so a name holding `/`, `\` or dot segments never reaches the storage layer.
 * See https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function checkedBucket(name: string): string {
  if (name !== "" && !isValidBucketName(name)) throw new S3Error("InvalidBucketName");
  return name;
}

/**
 * The object `x-amz-copy-source` names (`bucket/key` or `/bucket/key`, URL-encoded,
 * optional `?versionId=`), its bucket checked like a request's own.
 */
export function resolveCopySource(value: string): { bucket: string; key: string } {
  let v = value;
  const q = v.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(v.slice(q + 1));
    const version = params.get("versionId");
    if (version !== null && version !== "null") {
      throw new S3Error(
        "InvalidArgument",
        "Versioning is not supported: versionId must be absent or null.",
      );
    }
    v = v.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(v);
  } catch {
    throw new S3Error("InvalidArgument", "Invalid copy source encoding.");
  }
  if (decoded.startsWith("/")) decoded = decoded.slice(1);
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error(
      "InvalidArgument",
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.",
    );
  }
  return { bucket: checkedBucket(decoded.slice(0, slash)), key: decoded.slice(slash + 1) };
}

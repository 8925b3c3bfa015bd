/** Names in requests: bucket names checked against S3's rules, and the copy source header. */
import { S3Error } from "../errors.ts";
import { checkVersionId, isValidBucketName } from "../storage/mod.ts";

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
export function resolveCopySource(
  value: string,
): { bucket: string; key: string; versionId?: string } {
  let v = value;
  let versionId: string | undefined;
  const q = v.indexOf("?");
  if (q >= 0) {
    const version = new URLSearchParams(v.slice(q + 1)).get("versionId");
    if (version !== null) versionId = checkVersionId(version);
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
  const source = { bucket: checkedBucket(decoded.slice(0, slash)), key: decoded.slice(slash + 1) };
  return versionId === undefined ? source : { ...source, versionId };
}

/**
 * Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and
 * GetBucketPolicyStatus. The policy is checked against S3's grammar when
 * put and kept as the bytes sent, which GetBucketPolicy gives back.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 */
import { S3Error } from "../errors.ts";
import { isPublic, parsePolicy, PolicyError } from "../auth/policy/mod.ts";
import { requestBody, type RequestContext } from "./context.ts";
import { deleteDocument, POLICY_DOC, readBucketAccess } from "./access_docs.ts";
import { emptyResponse, responseWith, xmlResponse } from "./response.ts";
import { readXmlBody, renderXml } from "./xml.ts";

/** The largest bucket policy S3 accepts, in bytes. */
const MAX_POLICY_BYTES = 20 * 1024;

/** PUT /{bucket}?policy */
export async function putBucketPolicy(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  let text: string;
  try {
    text = await readXmlBody(requestBody(ctx).stream, MAX_POLICY_BYTES);
  } catch (e) {
    if (e instanceof S3Error && e.code === "MaxMessageLengthExceeded") {
      throw new S3Error("PolicyTooLarge");
    }
    throw new S3Error("MalformedPolicy", "This policy contains invalid Json");
  }
  let policy;
  try {
    policy = parsePolicy(text, { kind: "bucket", bucket: ctx.bucket });
  } catch (e) {
    if (e instanceof PolicyError) throw new S3Error("MalformedPolicy", e.message);
    throw e;
  }
  const access = await readBucketAccess(ctx.storage, ctx.bucket);
  // BlockPublicPolicy refuses a public policy, whoever puts it.
  if (access.block?.BlockPublicPolicy && isPublic(policy)) throw new S3Error("AccessDenied");
  await ctx.storage.writeBucketConfig(ctx.bucket, POLICY_DOC, text);
  return emptyResponse(204);
}

/** GET /{bucket}?policy: the policy as put; NoSuchBucketPolicy when none. */
export async function getBucketPolicy(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await ctx.storage.readBucketConfig(ctx.bucket, POLICY_DOC);
  if (!doc) throw new S3Error("NoSuchBucketPolicy");
  return responseWith(doc.text, 200, { "content-type": "application/json" });
}

/** DELETE /{bucket}?policy */
export const deleteBucketPolicy = deleteDocument(POLICY_DOC);

/** GET /{bucket}?policyStatus: whether the policy makes the bucket public. */
export async function getBucketPolicyStatus(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const access = await readBucketAccess(ctx.storage, ctx.bucket);
  if (access.policyText === null) throw new S3Error("NoSuchBucketPolicy");
  return xmlResponse(renderXml("PolicyStatus", { IsPublic: access.policyPublic }));
}

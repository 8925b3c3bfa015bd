/** Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation. */
import { Buffer } from "node:buffer";
import { requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, isoDate, OWNER, xmlResponse } from "./response.ts";
import { readXmlBody, renderXml } from "./xml.ts";
import { aclFromHeaders, storedAcl } from "./acl.ts";
import { ACL_DOC, OWNERSHIP_DOC, OWNERSHIP_VALUES } from "./access_docs.ts";

/** Most buckets one ListBuckets page holds (S3's range of max-buckets). */
const MAX_BUCKETS = 10000;

/**
 * GET /: every bucket, or with `max-buckets` a page of them (`continuation-token` for the next),
 * filtered by `prefix` and `bucket-region`; each names its region, as current SDKs expect.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 */
export async function listBuckets(ctx: RequestContext): Promise<Response> {
  const q = ctx.query;
  const prefix = q.get("prefix") ?? "";
  const region = q.get("bucket-region");
  const maxText = q.get("max-buckets");
  const max = maxText === null ? MAX_BUCKETS : Number(maxText);
  if (!/^\d+$/.test(maxText ?? "1") || max < 1 || max > MAX_BUCKETS) {
    throw new S3Error(
      "InvalidArgument",
      "Argument max-buckets must be an integer between 1 and 10000.",
    );
  }
  const token = q.get("continuation-token");
  let after = "";
  if (token !== null && token !== "") {
    after = Buffer.from(token, "base64url").toString("utf8");
    if (Buffer.from(after, "utf8").toString("base64url") !== token) {
      throw new S3Error("InvalidArgument", "The continuation token provided is incorrect");
    }
  }
  let all = (await ctx.storage.listBuckets()).filter((b) =>
    b.name.startsWith(prefix) && b.name > after &&
    (region === null || region === ctx.config.region)
  );
  // A caller without s3:ListAllMyBuckets sees the buckets it may list, and no others.
  if (!(await ctx.permits("s3:ListAllMyBuckets"))) {
    const shown = await Promise.all(
      all.map((b) => ctx.permits("s3:ListBucket", undefined, b.name)),
    );
    all = all.filter((_, i) => shown[i]);
  }
  const page = all.slice(0, max);
  const next = all.length > page.length ? page.at(-1)!.name : null;
  return xmlResponse(renderXml("ListAllMyBucketsResult", {
    Owner: { ...OWNER },
    Buckets: {
      Bucket: page.map((b) => ({
        Name: b.name,
        CreationDate: isoDate(b.created),
        BucketRegion: ctx.config.region,
      })),
    },
    ContinuationToken: next !== null ? Buffer.from(next, "utf8").toString("base64url") : undefined,
    Prefix: q.has("prefix") ? prefix : undefined,
  }));
}

/** PUT /{bucket} */
export async function createBucket(ctx: RequestContext): Promise<Response> {
  // An optional CreateBucketConfiguration (LocationConstraint) is accepted and ignored.
  await readXmlBody(requestBody(ctx).stream);
  const acl = aclFromHeaders(ctx.headers);
  const stored = acl ? storedAcl(acl) : undefined;
  const ownership = ctx.headers.get("x-amz-object-ownership");
  if (ownership !== null && !OWNERSHIP_VALUES.includes(ownership)) {
    throw new S3Error("InvalidArgument", "Invalid x-amz-object-ownership header");
  }
  if (ownership === "BucketOwnerEnforced" && stored) {
    throw new S3Error("InvalidBucketAclWithObjectOwnership");
  }
  const lock = ctx.headers.get("x-amz-bucket-object-lock-enabled")?.trim().toLowerCase();
  if (lock !== undefined && lock !== "true" && lock !== "false") {
    throw new S3Error("InvalidArgument", "Invalid x-amz-bucket-object-lock-enabled header");
  }
  if (lock === "true" && !ctx.storage.metadataEnabled) {
    throw new S3Error(
      "NotImplemented",
      "Object Lock keeps each version's lock in its metadata: it needs -metadata=true.",
    );
  }
  try {
    await ctx.storage.createBucket(ctx.bucket);
    if (lock === "true") {
      // Object Lock comes with versioning, which it keeps Enabled for good.
      await ctx.storage.setVersioning(ctx.bucket, "Enabled");
      await ctx.storage.enableObjectLock(ctx.bucket);
    }
    if (stored) await ctx.storage.writeBucketConfig(ctx.bucket, ACL_DOC, JSON.stringify(stored));
    if (ownership !== null) {
      const doc = JSON.stringify({ ObjectOwnership: ownership });
      await ctx.storage.writeBucketConfig(ctx.bucket, OWNERSHIP_DOC, doc);
    }
  } catch (e) {
    // In us-east-1, S3 answers 200 to creating a bucket you already own (for legacy clients);
    // every other region answers BucketAlreadyOwnedByYou.
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
    const owned = e instanceof S3Error && e.code === "BucketAlreadyOwnedByYou";
    if (!owned || ctx.config.region !== "us-east-1") throw e;
  }
  return emptyResponse(200, { location: `/${ctx.bucket}` });
}

/** DELETE /{bucket} */
export async function deleteBucket(ctx: RequestContext): Promise<Response> {
  await ctx.storage.deleteBucket(ctx.bucket);
  return emptyResponse(204);
}

/** HEAD /{bucket} */
export function headBucket(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  return Promise.resolve(emptyResponse(200, { "x-amz-bucket-region": ctx.config.region }));
}

/** GET /{bucket}?location — the server's region; an empty constraint means us-east-1, as S3 answers. */
export function getBucketLocation(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const region = ctx.config.region;
  return Promise.resolve(
    xmlResponse(renderXml("LocationConstraint", region === "us-east-1" ? {} : region)),
  );
}

/** Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation. */
import { requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, isoDate, OWNER, xmlResponse } from "./response.ts";
import { readXmlBody, renderXml } from "./xml.ts";

/** GET / */
export async function listBuckets(ctx: RequestContext): Promise<Response> {
  const buckets = await ctx.storage.listBuckets();
  return xmlResponse(renderXml("ListAllMyBucketsResult", {
    Owner: { ...OWNER },
    Buckets: {
      Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: isoDate(b.created) })),
    },
  }));
}

/** PUT /{bucket} */
export async function createBucket(ctx: RequestContext): Promise<Response> {
  // An optional CreateBucketConfiguration (LocationConstraint) is accepted and ignored.
  await readXmlBody(requestBody(ctx).stream);
  try {
    await ctx.storage.createBucket(ctx.bucket);
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

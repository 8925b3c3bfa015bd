/**
 * Object and bucket tagging: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging,
 * and the `x-amz-tagging` header of writes, with S3's limits.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
 */
import { emitChange, requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { requestedVersion, versionHeader } from "./versioning.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml } from "./xml.ts";

/** Most tags an object may carry. */
const MAX_OBJECT_TAGS = 10;
/** Most tags a bucket may carry. */
const MAX_BUCKET_TAGS = 50;
/** Name of the bucket configuration document holding a bucket's tags. */
const BUCKET_TAGS = "tagging.json";
/** Longest tag key, in characters. */
const MAX_TAG_KEY = 128;
/** Longest tag value, in characters. */
const MAX_TAG_VALUE = 256;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Checks a tag set against S3's rules (at most `max` tags); throws InvalidTag. */
function validateTags(
  pairs: readonly [string, string][],
  max = MAX_OBJECT_TAGS,
): Record<string, string> {
  if (pairs.length > max) {
    const what = max === MAX_OBJECT_TAGS ? "Object" : "Bucket";
    throw new S3Error("InvalidTag", `${what} tags cannot be greater than ${max}`);
  }
  const tags: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (k.length === 0 || [...k].length > MAX_TAG_KEY) {
      throw new S3Error("InvalidTag", "The TagKey you have provided is invalid");
    }
    if ([...v].length > MAX_TAG_VALUE) {
      throw new S3Error("InvalidTag", "The TagValue you have provided is invalid");
    }
    if (!TAG_CHARS.test(k) || !TAG_CHARS.test(v)) {
      throw new S3Error(
        "InvalidTag",
        "The TagKey or TagValue you have provided contains invalid characters",
      );
    }
    if (k.toLowerCase().startsWith("aws:")) {
      throw new S3Error("InvalidTag", "Your TagKey cannot be prefixed with aws:");
    }
    if (Object.hasOwn(tags, k)) {
      throw new S3Error("InvalidTag", "Cannot provide multiple Tags with the same key");
    }
    tags[k] = v;
  }
  return tags;
}

/** Parses an `x-amz-tagging` header (URL query form `k1=v1&k2=v2`). */
export function tagsFromHeader(value: string): Record<string, string> {
  return validateTags([...new URLSearchParams(value)]);
}

/** The tag pairs of a `<Tagging>` request document. */
async function tagsOfRequest(ctx: RequestContext): Promise<[string, string][]> {
  return await tagPairsOfXml(await readXmlBody(requestBody(ctx).stream));
}

/** The tag pairs of a `<Tagging>` document (a request body, or a POST upload's `tagging` field). */
export async function tagPairsOfXml(text: string): Promise<[string, string][]> {
  const doc = await parseXml(text, "Tagging");
  const set = doc.TagSet;
  if (set === undefined) throw new S3Error("MalformedXML");
  const tagList = typeof set === "object" && set !== null
    ? (set as Record<string, unknown>).Tag
    : undefined;
  const raw = asArray(tagList as Record<string, unknown> | Record<string, unknown>[] | undefined);
  const pairs = raw.map((t): [string, string] => {
    if (typeof t !== "object" || t === null || t.Key === undefined) {
      throw new S3Error("MalformedXML");
    }
    return [String(t.Key), t.Value === undefined ? "" : String(t.Value)];
  });
  return pairs;
}

/** A `<Tagging>` response document. */
function taggingResponse(
  tags: Record<string, string>,
  headers: Record<string, string> = {},
): Response {
  return xmlResponse(
    renderXml("Tagging", {
      TagSet: { Tag: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    }),
    200,
    headers,
  );
}

/** PUT /{bucket}/{key}?tagging */
export async function putObjectTagging(ctx: RequestContext): Promise<Response> {
  const versionId = requestedVersion(ctx);
  const tags = validateTags(await tagsOfRequest(ctx));
  const target = { bucket: ctx.bucket, key: ctx.key, versionId };
  const meta = await ctx.storage.updateAttributes(target, () => ({ tags }));
  await emitChange(ctx, "s3:ObjectTagging:Put", meta);
  return emptyResponse(200, versionHeader(meta));
}

/** GET /{bucket}/{key}?tagging */
export function getObjectTagging(ctx: RequestContext): Response {
  const meta = ctx.storage.headObject(ctx.bucket, ctx.key, requestedVersion(ctx));
  return taggingResponse(meta.tags ?? {}, versionHeader(meta));
}

/** DELETE /{bucket}/{key}?tagging */
export async function deleteObjectTagging(ctx: RequestContext): Promise<Response> {
  const target = { bucket: ctx.bucket, key: ctx.key, versionId: requestedVersion(ctx) };
  const meta = await ctx.storage.updateAttributes(target, () => ({ tags: undefined }));
  await emitChange(ctx, "s3:ObjectTagging:Delete", meta);
  return emptyResponse(204, versionHeader(meta));
}

/** PUT /{bucket}?tagging */
export async function putBucketTagging(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const tags = validateTags(await tagsOfRequest(ctx), MAX_BUCKET_TAGS);
  await ctx.storage.writeBucketConfig(ctx.bucket, BUCKET_TAGS, JSON.stringify(tags));
  return emptyResponse(204);
}

/** GET /{bucket}?tagging: NoSuchTagSet when the bucket has none. */
export async function getBucketTagging(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await ctx.storage.readBucketConfig(ctx.bucket, BUCKET_TAGS);
  if (doc === null) throw new S3Error("NoSuchTagSet");
  return taggingResponse(JSON.parse(doc.text) as Record<string, string>);
}

/** DELETE /{bucket}?tagging */
export async function deleteBucketTagging(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  await ctx.storage.writeBucketConfig(ctx.bucket, BUCKET_TAGS, null);
  return emptyResponse(204);
}

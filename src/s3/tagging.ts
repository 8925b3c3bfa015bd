/**
 * Object tagging: PutObjectTagging, GetObjectTagging, DeleteObjectTagging,
 * and the `x-amz-tagging` header of writes, with S3's limits.
 */
import { requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml } from "./xml.ts";

/** Most tags an object may carry. */
const MAX_TAGS = 10;
/** Longest tag key, in characters. */
const MAX_TAG_KEY = 128;
/** Longest tag value, in characters. */
const MAX_TAG_VALUE = 256;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Checks a tag set against S3's rules; throws InvalidTag / BadRequest. */
function validateTags(pairs: readonly [string, string][]): Record<string, string> {
  if (pairs.length > MAX_TAGS) {
    throw new S3Error("BadRequest", "Object tags cannot be greater than 10");
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

/** PUT /{bucket}/{key}?tagging */
export async function putObjectTagging(ctx: RequestContext): Promise<Response> {
  const doc = await parseXml(await readXmlBody(requestBody(ctx).stream), "Tagging");
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
  const tags = validateTags(pairs);
  await ctx.storage.updateAttributes(ctx.bucket, ctx.key, () => ({ tags }));
  return emptyResponse(200);
}

/** GET /{bucket}/{key}?tagging */
export function getObjectTagging(ctx: RequestContext): Response {
  const meta = ctx.storage.headObject(ctx.bucket, ctx.key);
  const tags = Object.entries(meta.tags ?? {});
  return xmlResponse(renderXml("Tagging", {
    TagSet: { Tag: tags.map(([Key, Value]) => ({ Key, Value })) },
  }));
}

/** DELETE /{bucket}/{key}?tagging */
export async function deleteObjectTagging(ctx: RequestContext): Promise<Response> {
  await ctx.storage.updateAttributes(ctx.bucket, ctx.key, () => ({ tags: undefined }));
  return emptyResponse(204);
}

/** Bucket CORS configuration: PutBucketCors, GetBucketCors, DeleteBucketCors. */
import { requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml } from "./xml.ts";
import { CORS_CONFIG, type CorsRule } from "./cors_rules.ts";

const METHODS = new Set(["GET", "PUT", "POST", "DELETE", "HEAD"]);
/** Most rules S3 accepts in one configuration. */
const MAX_CORS_RULES = 100;

function strings(value: unknown): string[] {
  return asArray(value as string | string[] | undefined).map((v) => String(v).trim());
}

/** Validates and converts a parsed CORSConfiguration into rules. */
function rulesFromXml(doc: Record<string, unknown>): CorsRule[] {
  const raw = asArray(
    doc.CORSRule as Record<string, unknown> | Record<string, unknown>[] | undefined,
  );
  if (raw.length === 0 || raw.length > MAX_CORS_RULES) throw new S3Error("MalformedXML");
  return raw.map((r) => {
    if (typeof r !== "object" || r === null) throw new S3Error("MalformedXML");
    const rule: CorsRule = {
      allowedOrigins: strings(r.AllowedOrigin),
      allowedMethods: strings(r.AllowedMethod),
      allowedHeaders: strings(r.AllowedHeader),
      exposeHeaders: strings(r.ExposeHeader),
    };
    if (r.ID !== undefined) rule.id = String(r.ID);
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) {
      throw new S3Error("MalformedXML");
    }
    for (const m of rule.allowedMethods) {
      if (!METHODS.has(m)) {
        throw new S3Error(
          "InvalidRequest",
          `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
        );
      }
    }
    for (const o of [...rule.allowedOrigins, ...rule.allowedHeaders]) {
      if (o.split("*").length > 2) {
        throw new S3Error(
          "InvalidRequest",
          `AllowedOrigin "${o}" can not have more than one wildcard.`,
        );
      }
    }
    if (r.MaxAgeSeconds !== undefined) {
      const n = Number(r.MaxAgeSeconds);
      if (!Number.isInteger(n) || n < 0) throw new S3Error("MalformedXML");
      rule.maxAgeSeconds = n;
    }
    return rule;
  });
}

/** PUT /{bucket}?cors */
export async function putBucketCors(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const rules = rulesFromXml(
    await parseXml(await readXmlBody(requestBody(ctx).stream), "CORSConfiguration"),
  );
  await ctx.storage.writeBucketConfig(ctx.bucket, CORS_CONFIG, JSON.stringify(rules));
  return emptyResponse(200);
}

/** GET /{bucket}?cors */
export async function getBucketCors(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await ctx.storage.readBucketConfig(ctx.bucket, CORS_CONFIG);
  if (doc === null) throw new S3Error("NoSuchCORSConfiguration");
  const rules = JSON.parse(doc.text) as CorsRule[];
  return xmlResponse(renderXml("CORSConfiguration", {
    CORSRule: rules.map((r) => ({
      ID: r.id,
      AllowedHeader: r.allowedHeaders,
      AllowedMethod: r.allowedMethods,
      AllowedOrigin: r.allowedOrigins,
      ExposeHeader: r.exposeHeaders,
      MaxAgeSeconds: r.maxAgeSeconds,
    })),
  }));
}

/** DELETE /{bucket}?cors */
export async function deleteBucketCors(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  await ctx.storage.writeBucketConfig(ctx.bucket, CORS_CONFIG, null);
  return emptyResponse(204);
}

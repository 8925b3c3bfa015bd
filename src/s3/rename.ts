/**
 * RenameObject (`PUT /{bucket}/{key}?renameObject` with `x-amz-rename-source`): the object
 * named by the header takes the request's key, in one atomic rename on disk.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_RenameObject.html
 */
import { S3Error } from "../errors.ts";
import type { ObjectMeta } from "../storage/mod.ts";
import { evaluate, writePrecondition } from "./conditions.ts";
import { discardBody, type RequestContext } from "./context.ts";
import { emptyResponse } from "./response.ts";

/** PUT /{bucket}/{key}?renameObject */
export async function renameObject(ctx: RequestContext): Promise<Response> {
  const header = ctx.headers.get("x-amz-rename-source");
  if (header === null || header.trim() === "") {
    throw new S3Error("InvalidRequest", "x-amz-rename-source is required.");
  }
  const from = renameSource(header, ctx.bucket);
  const h = ctx.headers;
  const sourceConditions = {
    ifMatch: h.get("x-amz-rename-source-if-match"),
    ifNoneMatch: h.get("x-amz-rename-source-if-none-match"),
    ifModifiedSince: h.get("x-amz-rename-source-if-modified-since"),
    ifUnmodifiedSince: h.get("x-amz-rename-source-if-unmodified-since"),
  };
  const target = writePrecondition(h);
  const ifModifiedSince = h.get("if-modified-since");
  const ifUnmodifiedSince = h.get("if-unmodified-since");
  await discardBody(ctx);
  await ctx.storage.renameObject({
    bucket: ctx.bucket,
    from,
    to: ctx.key,
    sourceCondition: (meta) => {
      if (meta && evaluate(sourceConditions, meta) !== "ok") {
        throw new S3Error("PreconditionFailed");
      }
    },
    targetCondition: (current: ObjectMeta | null) => {
      target?.(current);
      if (current && (ifModifiedSince !== null || ifUnmodifiedSince !== null)) {
        const dated = { ifMatch: null, ifNoneMatch: null, ifModifiedSince, ifUnmodifiedSince };
        if (evaluate(dated, current) !== "ok") throw new S3Error("PreconditionFailed");
      }
    },
  });
  return emptyResponse(200);
}

/** The source key of `x-amz-rename-source`: a key of the request's bucket, URL-encoded, as `/bucket/key` or the key alone. */
function renameSource(header: string, bucket: string): string {
  let value: string;
  try {
    value = decodeURIComponent(header.trim());
  } catch {
    throw new S3Error("InvalidArgument", "Invalid x-amz-rename-source encoding.");
  }
  if (value.startsWith("/")) {
    const rest = value.slice(1);
    if (!rest.startsWith(bucket + "/")) {
      throw new S3Error("InvalidRequest", "The rename source must be in the same bucket.");
    }
    value = rest.slice(bucket.length + 1);
  }
  if (value === "") throw new S3Error("InvalidArgument", "x-amz-rename-source names no key.");
  return value;
}

/**
 * Versioning: GetBucketVersioning, PutBucketVersioning, and the rules every
 * object operation shares for naming a version (`?versionId=`) and telling
 * the client which version it got (`x-amz-version-id`).
 * See https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
 */
import type { RequestContext } from "./context.ts";
import { requestBody } from "./context.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { parseXml, readXmlBody, renderXml } from "./xml.ts";
import { checkVersionId, type DeleteResult, type ObjectMeta } from "../storage/mod.ts";

/** The version a request names with `?versionId=`, checked; undefined when it names none. */
export function requestedVersion(ctx: RequestContext): string | undefined {
  const id = ctx.query.get("versionId");
  if (id === null) return undefined;
  return checkVersionId(id);
}

/** `x-amz-version-id` for a version of a bucket that has (or had) versioning. */
export function versionHeader(meta: { versionId?: string }): Record<string, string> {
  return meta.versionId === undefined ? {} : { "x-amz-version-id": meta.versionId };
}

/** The headers of a DeleteObject response. */
export function deleteHeaders(result: DeleteResult): Record<string, string> {
  return {
    ...versionHeader(result),
    ...(result.deleteMarker ? { "x-amz-delete-marker": "true" } : {}),
  };
}

/** `x-amz-copy-source-version-id` of a copy from a versioned bucket. */
export function copySourceHeader(meta: ObjectMeta): Record<string, string> {
  return meta.versionId === undefined ? {} : { "x-amz-copy-source-version-id": meta.versionId };
}

/** GET /{bucket}?versioning: an empty document for a bucket whose versioning was never enabled. */
export function getBucketVersioning(ctx: RequestContext): Response {
  const state = ctx.storage.versioning(ctx.bucket);
  return xmlResponse(renderXml("VersioningConfiguration", state === "" ? {} : { Status: state }));
}

/** PUT /{bucket}?versioning */
export async function putBucketVersioning(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await parseXml(
    await readXmlBody(requestBody(ctx).stream),
    "VersioningConfiguration",
  );
  const mfa = doc.MfaDelete === undefined ? "" : String(doc.MfaDelete).trim();
  if (mfa !== "" && mfa !== "Disabled" && mfa !== "Enabled") throw new S3Error("MalformedXML");
  if (mfa === "Enabled" || ctx.headers.has("x-amz-mfa")) {
    throw new S3Error(
      "NotImplemented",
      "MFA delete is not supported by geckos3: it needs a hardware or virtual MFA device.",
    );
  }
  const status = doc.Status === undefined ? "" : String(doc.Status).trim();
  if (status === "") {
    // No status leaves the state as it is (S3 accepts a document with MfaDelete alone).
    return emptyResponse(200);
  }
  if (status !== "Enabled" && status !== "Suspended") throw new S3Error("MalformedXML");
  await ctx.storage.setVersioning(ctx.bucket, status);
  return emptyResponse(200);
}

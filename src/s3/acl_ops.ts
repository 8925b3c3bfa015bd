/**
 * GetBucketAcl, PutBucketAcl, GetObjectAcl and PutObjectAcl. An ACL is set
 * by a canned `x-amz-acl`, by `x-amz-grant-*` headers, or by an
 * AccessControlPolicy document, never two of them.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
 */
import { S3Error } from "../errors.ts";
import type { AclGrant } from "../storage/mod.ts";
import { emitChange, requestBody, type RequestContext } from "./context.ts";
import { ACL_DOC, aclsEnabled, checkAclAllowed, readBucketAccess } from "./access_docs.ts";
import { aclFromHeaders, aclFromXml, aclXml, defaultAcl, storedAcl } from "./acl.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { requestedVersion, versionHeader } from "./versioning.ts";
import { readXmlBody } from "./xml.ts";

/** GET /{bucket}?acl */
export async function getBucketAcl(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const access = await readBucketAccess(ctx.storage, ctx.bucket);
  return xmlResponse(aclXml(aclsEnabled(access) ? access.acl : defaultAcl()));
}

/** PUT /{bucket}?acl */
export async function putBucketAcl(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const grants = await requestedAcl(ctx);
  checkAclAllowed(await readBucketAccess(ctx.storage, ctx.bucket), grants);
  const stored = storedAcl(grants);
  await ctx.storage.writeBucketConfig(ctx.bucket, ACL_DOC, stored ? JSON.stringify(stored) : null);
  return emptyResponse(200);
}

/** GET /{bucket}/{key}?acl */
export async function getObjectAcl(ctx: RequestContext): Promise<Response> {
  const meta = ctx.storage.headObject(ctx.bucket, ctx.key, requestedVersion(ctx));
  const access = await readBucketAccess(ctx.storage, ctx.bucket);
  const grants = aclsEnabled(access) ? meta.acl ?? defaultAcl() : defaultAcl();
  return xmlResponse(aclXml(grants), 200, versionHeader(meta));
}

/** PUT /{bucket}/{key}?acl */
export async function putObjectAcl(ctx: RequestContext): Promise<Response> {
  const versionId = requestedVersion(ctx);
  const grants = await requestedAcl(ctx);
  checkAclAllowed(await readBucketAccess(ctx.storage, ctx.bucket), grants);
  const target = { bucket: ctx.bucket, key: ctx.key, versionId };
  const meta = await ctx.storage.updateAttributes(target, () => ({ acl: storedAcl(grants) }));
  await emitChange(ctx, "s3:ObjectAcl:Put", meta);
  return emptyResponse(200, versionHeader(meta));
}

/** The ACL a Put*Acl request sets, from its headers or its body (not both). */
async function requestedAcl(ctx: RequestContext): Promise<AclGrant[]> {
  const fromHeaders = aclFromHeaders(ctx.headers);
  const body = await readXmlBody(requestBody(ctx).stream);
  if (fromHeaders) {
    if (body.trim() !== "") {
      throw new S3Error("UnexpectedContent", "This request does not support content");
    }
    return fromHeaders;
  }
  if (body.trim() === "") {
    throw new S3Error("MissingSecurityHeader", "Your request was missing a required header", {
      extra: { MissingHeaderName: "x-amz-acl" },
    });
  }
  return await aclFromXml(body);
}

/**
 * Put/Get/DeletePublicAccessBlock and Put/Get/DeleteBucketOwnershipControls:
 * the two bucket switches over public access and ACLs.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketOwnershipControls.html
 */
import { S3Error } from "../errors.ts";
import { requestBody, type RequestContext } from "./context.ts";
import {
  deleteDocument,
  OWNERSHIP_DOC,
  OWNERSHIP_VALUES,
  PUBLIC_ACCESS_BLOCK_DOC,
  type PublicAccessBlock,
  readBucketAccess,
} from "./access_docs.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml } from "./xml.ts";

const SWITCHES = [
  "BlockPublicAcls",
  "IgnorePublicAcls",
  "BlockPublicPolicy",
  "RestrictPublicBuckets",
] as const;

/** PUT /{bucket}?publicAccessBlock */
export async function putPublicAccessBlock(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await parseXml(
    await readXmlBody(requestBody(ctx).stream),
    "PublicAccessBlockConfiguration",
  );
  const block = {} as PublicAccessBlock;
  for (const name of SWITCHES) {
    const v = doc[name];
    if (v !== undefined && v !== "true" && v !== "false") throw new S3Error("MalformedXML");
    block[name] = v === "true";
  }
  await ctx.storage.writeBucketConfig(ctx.bucket, PUBLIC_ACCESS_BLOCK_DOC, JSON.stringify(block));
  return emptyResponse(200);
}

/** GET /{bucket}?publicAccessBlock: NoSuchPublicAccessBlockConfiguration when none is set. */
export async function getPublicAccessBlock(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const { block } = await readBucketAccess(ctx.storage, ctx.bucket);
  if (!block) throw new S3Error("NoSuchPublicAccessBlockConfiguration");
  const body: Record<string, boolean> = {};
  for (const name of SWITCHES) body[name] = block[name] === true;
  return xmlResponse(renderXml("PublicAccessBlockConfiguration", body));
}

/** DELETE /{bucket}?publicAccessBlock */
export const deletePublicAccessBlock = deleteDocument(PUBLIC_ACCESS_BLOCK_DOC);

/** PUT /{bucket}?ownershipControls */
export async function putOwnershipControls(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await parseXml(await readXmlBody(requestBody(ctx).stream), "OwnershipControls");
  const rules = asArray(doc.Rule as Record<string, unknown> | Record<string, unknown>[]);
  if (rules.length !== 1 || typeof rules[0] !== "object") throw new S3Error("MalformedXML");
  await setOwnership(ctx, rules[0].ObjectOwnership);
  return emptyResponse(200);
}

/**
 * Sets a bucket's ObjectOwnership (PutBucketOwnershipControls, CreateBucket's
 * `x-amz-object-ownership`): MalformedXML for an unknown value, and
 * BucketOwnerEnforced only while the bucket's ACL is the default.
 */
export async function setOwnership(ctx: RequestContext, value: unknown): Promise<void> {
  if (typeof value !== "string" || !OWNERSHIP_VALUES.includes(value)) {
    throw new S3Error("MalformedXML");
  }
  if (value === "BucketOwnerEnforced") {
    const { acl } = await readBucketAccess(ctx.storage, ctx.bucket);
    if (acl.length !== 1 || !acl[0].id) throw new S3Error("InvalidBucketAclWithObjectOwnership");
  }
  await ctx.storage.writeBucketConfig(
    ctx.bucket,
    OWNERSHIP_DOC,
    JSON.stringify({ ObjectOwnership: value }),
  );
}

/** GET /{bucket}?ownershipControls: OwnershipControlsNotFoundError when none is set. */
export async function getOwnershipControls(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const { ownership } = await readBucketAccess(ctx.storage, ctx.bucket);
  if (!ownership) throw new S3Error("OwnershipControlsNotFoundError");
  return xmlResponse(
    renderXml("OwnershipControls", { Rule: { ObjectOwnership: ownership } }),
  );
}

/** DELETE /{bucket}?ownershipControls */
export const deleteOwnershipControls = deleteDocument(OWNERSHIP_DOC);

/** Object operations: PutObject, GetObject, HeadObject, DeleteObject, CopyObject, DeleteObjects. */
import { eventOrigin, requestBody, type RequestContext } from "./context.ts";
import type { DecodedBody } from "../auth/mod.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, isoDate, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml, type XmlNode } from "./xml.ts";
import { copySourceHeader, deleteHeaders, requestedVersion, versionHeader } from "./versioning.ts";
import {
  attributesFromHeaders,
  checksumElements,
  checksumHeaders,
  setObjectHeaders,
} from "./object_headers.ts";
import { createChecksum, parseAlgorithm, toBase64 } from "../checksum/mod.ts";
import {
  checkCopySourceConditions,
  checkReadConditions,
  deletePrecondition,
  writePrecondition,
} from "./conditions.ts";
import { type ByteRange, parseRange } from "./range.ts";
import { parsePartNumber, partRange } from "./part_number.ts";
import { resolveCopySource } from "./names.ts";
import { setExpirationHeader } from "./lifecycle.ts";
import { encryptionHeaders, withDefaultSse } from "./encryption.ts";
import { bypassesGovernance, requireIntegrity, withObjectLock } from "./object_lock.ts";
import { customerKeyOf, decrypted, keyForRead, sealForWrite } from "./sse_c.ts";
import {
  checkVersionId,
  type DeleteResult,
  type ObjectAttributes,
  type ObjectMeta,
  SMALL_BODY,
} from "../storage/mod.ts";

/** BadDigest when the client's Content-MD5 differs from the MD5 of the bytes received. */
export function verifyContentMd5(expected: Uint8Array | null, actual: Uint8Array): void {
  if (expected === null) return;
  if (expected.length !== actual.length || expected.some((b, i) => b !== actual[i])) {
    throw new S3Error("BadDigest");
  }
}

/**
 * Writes a decoded body as `key` of the request's bucket with `attributes`,
 * verifying what the body carries: Content-MD5 and flexible checksums, of
 * the plain bytes, and `headers`' write conditions; encrypted when
 * `headers` send an SSE-C key. `headers` are the request's (a POST's form
 * fields stand for them). Queues event `event` (`s3:ObjectCreated:Put`).
 */
export async function storeBody(
  ctx: RequestContext,
  write: {
    key: string;
    attributes: ObjectAttributes;
    body: DecodedBody;
    headers: Headers;
    event: string;
  },
): Promise<ObjectMeta> {
  const { body, headers } = write;
  // A small body of known length is read whole (see DecodedBody.readAll).
  const raw = body.readAll && body.length !== null && body.length <= SMALL_BODY
    ? await body.readAll()
    : body.stream;
  const sealed = sealForWrite(headers, raw, write.attributes);
  return await ctx.storage.putObject(ctx.bucket, write.key, sealed.payload, {
    attributes: sealed.attributes,
    precondition: writePrecondition(headers) ?? undefined,
    committed: ctx.notifier.created(eventOrigin(ctx), write.event, write.key),
    needMd5: body.contentMd5 !== null,
    finalize: ({ md5 }) => {
      verifyContentMd5(body.contentMd5, sealed.plainMd5 ? sealed.plainMd5() : md5);
      const checksums = body.checksums();
      if (Object.keys(checksums).length === 0) return;
      return { checksums, checksumType: "FULL_OBJECT" };
    },
  });
}

/** PUT /{bucket}/{key} */
export async function putObject(ctx: RequestContext): Promise<Response> {
  const attributes = await withObjectLock(ctx.storage, {
    bucket: ctx.bucket,
    attributes: await withDefaultSse(ctx.storage, ctx.bucket, attributesFromHeaders(ctx.headers)),
    headers: ctx.headers,
    defaults: true,
  });
  requireIntegrity(ctx.headers, attributes);
  const meta = await storeBody(ctx, {
    key: ctx.key,
    attributes,
    body: requestBody(ctx),
    headers: ctx.headers,
    event: "s3:ObjectCreated:Put",
  });
  const res = emptyResponse(200, {
    etag: meta.etag,
    ...checksumHeaders(meta.checksums, meta.checksumType),
    ...versionHeader(meta),
    ...encryptionHeaders(meta),
  });
  await setExpirationHeader(lifecycleOf(ctx), meta, res.headers);
  return res;
}

/** What the x-amz-expiration header of the request's object needs. */
function lifecycleOf(ctx: RequestContext) {
  return {
    storage: ctx.storage,
    bucket: ctx.bucket,
    key: ctx.key,
    dayMs: ctx.config.lifecycleDaySeconds * 1000,
  };
}

/** GET /{bucket}/{key} */
export function getObject(ctx: RequestContext): Response | Promise<Response> {
  return readObject(ctx, true);
}

/** HEAD /{bucket}/{key} */
export function headObject(ctx: RequestContext): Response | Promise<Response> {
  return readObject(ctx, false);
}

function readObject(ctx: RequestContext, withBody: boolean): Response | Promise<Response> {
  const versionId = requestedVersion(ctx);
  // A HEAD needs no bytes: the object is only described, not opened or read.
  const object = withBody ? ctx.storage.openObject(ctx.bucket, ctx.key, versionId) : null;
  const meta = object?.meta ?? ctx.storage.headObject(ctx.bucket, ctx.key, versionId);
  let handedOver = false;
  try {
    const customer = keyForRead(meta, customerKeyOf(ctx.headers));
    checkReadConditions(ctx.headers, meta);
    const range = requestedRange(ctx, meta);
    const start = range ? range.start : 0;
    const length = range ? range.end - range.start + 1 : meta.size;
    const sendBody = withBody && length > 0;
    // From here the body owns the object.
    handedOver = sendBody;
    // Headers are set on the response once it is made (see responseWith).
    const body = !sendBody || !object
      ? null
      : customer
      ? decrypted(object, customer, { start, length })
      : object.body(start, length);
    const res = new Response(body, { status: range ? 206 : 200 });
    const h = res.headers;
    setObjectHeaders(
      h,
      meta,
      ctx.query,
      range === null && ctx.headers.get("x-amz-checksum-mode")?.toUpperCase() === "ENABLED",
    );
    if (meta.versionId !== undefined) h.set("x-amz-version-id", meta.versionId);
    if (range) h.set("content-range", `bytes ${range.start}-${range.end}/${meta.size}`);
    h.set("content-length", String(length));
    // x-amz-expiration is of current versions: not of one asked for by its id.
    if (meta.versionId !== undefined && versionId !== undefined) return res;
    const expiring = setExpirationHeader(lifecycleOf(ctx), meta, h);
    return expiring ? expiring.then(() => res) : res;
  } finally {
    if (!handedOver) object?.close();
  }
}

/** The bytes a GET or HEAD asks for: a `partNumber`, a Range header, or (null) the whole object. */
function requestedRange(ctx: RequestContext, meta: ObjectMeta): ByteRange | null {
  const partNumber = ctx.query.get("partNumber");
  if (partNumber === null) return parseRange(ctx.headers.get("range"), meta.size);
  if (ctx.headers.get("range") !== null) {
    throw new S3Error(
      "InvalidRequest",
      "Cannot specify both Range header and partNumber query parameter",
    );
  }
  return partRange(parsePartNumber(partNumber), meta);
}

/** DELETE /{bucket}/{key}: 204 whether or not the key existed (unless a condition says otherwise). */
export async function deleteObject(ctx: RequestContext): Promise<Response> {
  const precondition = deletePrecondition(ctx.headers) ?? undefined;
  const versionId = requestedVersion(ctx);
  const target = {
    bucket: ctx.bucket,
    key: ctx.key,
    versionId,
    bypassGovernance: versionId !== undefined && await bypassesGovernance(ctx),
    committed: ctx.notifier.removed(eventOrigin(ctx), { key: ctx.key, versionId }),
  };
  const result = await ctx.storage.deleteObject(target, precondition);
  return emptyResponse(204, deleteHeaders(result));
}

/** Opens the copy source named by the request, with its conditions checked. */
export function openCopySource(ctx: RequestContext) {
  const src = resolveCopySource(ctx.headers.get("x-amz-copy-source")!);
  const object = ctx.storage.openObject(src.bucket, src.key, src.versionId);
  try {
    checkCopySourceConditions(ctx.headers, object.meta);
  } catch (e) {
    object.close();
    throw e;
  }
  return { ...src, object, meta: object.meta };
}

/**
 * True when a copy source names a version of the key other than its current
 * one: copying it over the key is how a version is restored, which S3 allows.
 */
function isOlderVersion(ctx: RequestContext, src: { versionId?: string }): boolean {
  if (src.versionId === undefined) return false;
  try {
    return ctx.storage.headObject(ctx.bucket, ctx.key).versionId !== src.versionId;
  } catch {
    return true; // no current version: the key was deleted
  }
}

/** PUT /{bucket}/{key} with x-amz-copy-source */
export async function copyObject(ctx: RequestContext): Promise<Response> {
  const directive = (ctx.headers.get("x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new S3Error("InvalidArgument", "Unknown metadata directive.");
  }
  // Validate the request's own headers even when they are not used.
  const replacement = attributesFromHeaders(ctx.headers);
  const asked = ctx.headers.get("x-amz-checksum-algorithm");
  const algorithm = asked === null ? null : parseAlgorithm(asked);
  if (asked !== null && algorithm === null) {
    throw new S3Error("InvalidRequest", "Checksum algorithm provided is unsupported.");
  }
  const hash = algorithm ? await createChecksum(algorithm) : null;
  const src = openCopySource(ctx);
  let meta: ObjectMeta;
  try {
    if (
      src.bucket === ctx.bucket && src.key === ctx.key && directive !== "REPLACE" &&
      !isOlderVersion(ctx, src)
    ) {
      throw new S3Error(
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const attributes: ObjectAttributes = directive === "REPLACE" ? { ...replacement } : {
      contentType: src.meta.contentType,
      headers: src.meta.headers,
      userMeta: src.meta.userMeta,
    };
    const taggingDirective = (ctx.headers.get("x-amz-tagging-directive") ?? "COPY").toUpperCase();
    if (taggingDirective !== "COPY" && taggingDirective !== "REPLACE") {
      throw new S3Error("InvalidArgument", "Unknown tagging directive.");
    }
    attributes.tags = taggingDirective === "REPLACE" ? replacement.tags : src.meta.tags;
    // A copy gets the ACL and encryption its request names, never the source's (as on S3).
    attributes.acl = replacement.acl;
    attributes.sse = replacement.sse ??
      (await withDefaultSse(ctx.storage, ctx.bucket, { ...replacement })).sse;
    // ... and the lock its request or the bucket's default retention gives, never the source's.
    const locked = await withObjectLock(ctx.storage, {
      bucket: ctx.bucket,
      attributes,
      headers: ctx.headers,
      defaults: true,
    });
    attributes.retention = locked.retention;
    attributes.legalHold = locked.legalHold;
    // The copy's checksum: of the algorithm asked for, computed on the way; else the source's
    // full-object one, which the same bytes keep (a composite one describes parts it has not).
    if (!hash && src.meta.checksumType === "FULL_OBJECT" && src.meta.checksums) {
      attributes.checksums = src.meta.checksums;
      attributes.checksumType = "FULL_OBJECT";
    }
    // SSE-C: the source is read with its key, the copy stored with the request's own.
    const sourceKey = keyForRead(src.meta, customerKeyOf(ctx.headers, true));
    const plain = sourceKey
      ? decrypted(src.object, sourceKey, { start: 0, length: src.meta.size })
      : src.object.body();
    const sealed = sealForWrite(
      ctx.headers,
      hash ? observed(plain, (chunk) => hash.update(chunk)) : plain,
      attributes,
    );
    meta = await ctx.storage.putObject(
      ctx.bucket,
      ctx.key,
      sealed.payload,
      {
        attributes: sealed.attributes,
        precondition: writePrecondition(ctx.headers) ?? undefined,
        committed: ctx.notifier.created(eventOrigin(ctx), "s3:ObjectCreated:Copy", ctx.key),
        finalize: () =>
          hash && algorithm
            ? {
              checksums: { [algorithm]: toBase64(hash.digest()) },
              checksumType: "FULL_OBJECT",
            }
            : undefined,
      },
    );
  } finally {
    src.object.close(); // a no-op once the body was taken
  }
  return xmlResponse(
    renderXml("CopyObjectResult", {
      LastModified: isoDate(meta.lastModified),
      ETag: meta.etag,
      ...(meta.checksums ? { ChecksumType: meta.checksumType } : {}),
      ...checksumElements(meta.checksums),
    }),
    200,
    {
      ...versionHeader(meta),
      ...copySourceHeader(src.meta),
      ...encryptionHeaders(meta),
    },
  );
}

/** `body` with every chunk shown to `see` on its way. */
function observed(
  body: ReadableStream<Uint8Array> | Uint8Array,
  see: (chunk: Uint8Array) => void,
): ReadableStream<Uint8Array> | Uint8Array {
  if (body instanceof Uint8Array) {
    see(body);
    return body;
  }
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        see(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
}

/** A `<Deleted>` entry of a DeleteObjects result, as S3 shapes it for versions and markers. */
function deletedEntry(key: string, asked: string | undefined, result: DeleteResult): XmlNode {
  if (asked !== undefined) {
    return {
      Key: key,
      VersionId: asked,
      ...(result.deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: asked } : {}),
    };
  }
  if (result.deleteMarker) {
    return { Key: key, DeleteMarker: true, DeleteMarkerVersionId: result.versionId };
  }
  return { Key: key };
}

/** Most keys one DeleteObjects request may name. */
const MAX_DELETE_KEYS = 1000;

/** POST /{bucket}?delete */
export async function deleteObjects(ctx: RequestContext): Promise<Response> {
  const doc = await parseXml(await readXmlBody(requestBody(ctx).stream), "Delete");
  const objects = asArray(doc.Object as Record<string, unknown> | Record<string, unknown>[]);
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error("MalformedXML");
  const quiet = String(doc.Quiet ?? "false").trim().toLowerCase() === "true";
  ctx.storage.requireBucket(ctx.bucket);
  const deleted: XmlNode[] = [];
  const errors: XmlNode[] = [];
  for (const o of objects) {
    const key = typeof o?.Key === "string"
      ? o.Key
      : typeof o?.Key === "number"
      ? String(o.Key)
      : null;
    if (key === null) throw new S3Error("MalformedXML");
    try {
      const versionId = o.VersionId === undefined ? undefined : checkVersionId(String(o.VersionId));
      // Each key is its own decision, as on S3: refusals are errors of the result.
      const action = versionId === undefined ? "s3:DeleteObject" : "s3:DeleteObjectVersion";
      if (!(await ctx.permits(action, key))) throw new S3Error("AccessDenied");
      const bypassGovernance = versionId !== undefined && await bypassesGovernance(ctx, key);
      const committed = ctx.notifier.removed(eventOrigin(ctx), { key, versionId });
      const target = { bucket: ctx.bucket, key, versionId, bypassGovernance, committed };
      const result = await ctx.storage.deleteObject(target);
      if (!quiet) deleted.push(deletedEntry(key, versionId, result));
    } catch (e) {
      const version = o.VersionId === undefined ? {} : { VersionId: String(o.VersionId) };
      const [code, message] = e instanceof S3Error
        ? [e.code, e.message]
        : ["InternalError", "We encountered an internal error."];
      errors.push({ Key: key, ...version, Code: code, Message: message });
    }
  }
  return xmlResponse(renderXml("DeleteResult", { Deleted: deleted, Error: errors }));
}

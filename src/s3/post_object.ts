/**
 * PostObject: a browser uploads an object with an HTML form. The form's
 * fields say who signs it (SigV4 or SigV2 over its policy, or nobody), the
 * key and the object's headers; the policy's conditions are checked, and the
 * upload authorized as its signer, before a byte of the file is stored.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 */
import { Buffer } from "node:buffer";
import { S3Error } from "../errors.ts";
import type { RequestContext } from "./context.ts";
import { attributesFromHeaders, checksumHeaders } from "./object_headers.ts";
import { encryptionHeaders, withDefaultSse } from "./encryption.ts";
import { withObjectLock } from "./object_lock.ts";
import { storeBody } from "./objects.ts";
import { checkPostPolicy, parsePostPolicy } from "./post_policy.ts";
import { type PostForm, readPostForm } from "./post_form.ts";
import { emptyResponse, responseWith, xmlResponse } from "./response.ts";
import { tagPairsOfXml } from "./tagging.ts";
import { versionHeader } from "./versioning.ts";
import { renderXml } from "./xml.ts";

/** Fields that become the object's headers, as a PUT would send them. */
const HEADER_FIELDS = new Set([
  "content-type",
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "expires",
  "content-md5",
  "x-amz-storage-class",
  "x-amz-checksum-algorithm",
  "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-server-side-encryption-bucket-key-enabled",
  "x-amz-server-side-encryption-customer-algorithm",
  "x-amz-server-side-encryption-customer-key",
  "x-amz-server-side-encryption-customer-key-md5",
  "x-amz-object-lock-mode",
  "x-amz-object-lock-retain-until-date",
  "x-amz-object-lock-legal-hold",
]);

/** POST /{bucket} with multipart/form-data */
export async function postObject(ctx: RequestContext): Promise<Response> {
  const type = ctx.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\b/i.test(type)) {
    throw new S3Error(
      "PreconditionFailed",
      "At least one of the pre-conditions you specified did not hold",
      { extra: { Condition: "Bucket POST must be of the enclosure-type multipart/form-data" } },
    );
  }
  ctx.storage.requireBucket(ctx.bucket);
  if (!ctx.req.body) throw new S3Error("MalformedPOSTRequest");
  const form = await readPostForm(ctx.req.body, type);
  try {
    return await store(ctx, form);
  } catch (e) {
    await form.file.cancel().catch(() => {});
    throw e;
  }
}

async function store(ctx: RequestContext, form: PostForm): Promise<Response> {
  const { fields } = form;
  // The policy is read before its signature is checked, as S3 reports a malformed one first.
  const policy = fields.has("policy") ? parsePostPolicy(fields.get("policy")!) : null;
  const auth = ctx.authenticator.verifyPost(fields);
  const keyField = fields.get("key");
  if (keyField === undefined || keyField === "") {
    throw new S3Error(
      "InvalidArgument",
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      { extra: { ArgumentName: "key", ArgumentValue: "" } },
    );
  }
  const key = keyField.replaceAll("${filename}", form.filename);
  const headers = await headersOf(fields);
  await ctx.authorizeAs(auth, key, headers);
  const range = policy
    ? checkPostPolicy(policy, { fields, bucket: ctx.bucket, key, now: new Date() })
    : null;
  const attributes = await withObjectLock(ctx.storage, {
    bucket: ctx.bucket,
    attributes: await withDefaultSse(ctx.storage, ctx.bucket, attributesFromHeaders(headers)),
    headers,
    defaults: true,
  });
  const body = ctx.authenticator.decodeBody(
    range ? lengthChecked(form.file, range) : form.file,
    headers,
    { accessKey: null },
  );
  const meta = await storeBody(ctx, {
    key,
    attributes,
    body,
    headers,
    event: "s3:ObjectCreated:Post",
  });
  await form.done;
  return answer(ctx, fields, { key, etag: meta.etag }, {
    etag: meta.etag,
    ...checksumHeaders(meta.checksums, meta.checksumType),
    ...versionHeader(meta),
    ...encryptionHeaders(meta),
  });
}

/**
 * The form's fields a PUT would send as headers: the object's headers,
 * `x-amz-*` fields (metadata, checksums), `acl` as `x-amz-acl`, and the
 * `tagging` document as `x-amz-tagging`. Values keep their UTF-8 bytes, as a
 * request's headers do.
 */
async function headersOf(fields: ReadonlyMap<string, string>): Promise<Headers> {
  const headers = new Headers();
  const set = (name: string, value: string) => {
    try {
      headers.set(name, Buffer.from(value, "utf8").toString("latin1"));
    } catch {
      throw new S3Error("InvalidArgument", `Invalid value for the ${name} field.`, {
        extra: { ArgumentName: name, ArgumentValue: value.slice(0, 64) },
      });
    }
  };
  for (const [name, value] of fields) {
    if (HEADER_FIELDS.has(name) || name.startsWith("x-amz-meta-")) set(name, value);
    else if (name.startsWith("x-amz-checksum-")) set(name, value);
    else if (name === "acl") set("x-amz-acl", value);
    else if (name === "tagging") {
      set("x-amz-tagging", new URLSearchParams(await tagPairsOfXml(value)).toString());
    }
  }
  return headers;
}

/** The file, refused on the way past `max` bytes and at its end under `min` (content-length-range). */
function lengthChecked(
  file: ReadableStream<Uint8Array>,
  range: { min: number; max: number },
): ReadableStream<Uint8Array> {
  let total = 0;
  return file.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > range.max) {
          throw new S3Error("EntityTooLarge", undefined, {
            extra: { ProposedSize: String(total), MaxSizeAllowed: String(range.max) },
          });
        }
        controller.enqueue(chunk);
      },
      flush() {
        if (total < range.min) {
          throw new S3Error("EntityTooSmall", undefined, {
            extra: { ProposedSize: String(total), MinSizeAllowed: String(range.min) },
          });
        }
      },
    }),
  );
}

/**
 * The answer S3 gives a stored upload: 303 to `success_action_redirect`
 * (or `redirect`) with the bucket, key and ETag in its query; else the
 * status `success_action_status` asks for: 200, 201 with a PostResponse
 * document, or 204 (the default, and for any other value).
 */
function answer(
  ctx: RequestContext,
  fields: ReadonlyMap<string, string>,
  object: { key: string; etag: string },
  headers: Record<string, string>,
): Response {
  const location = `${new URL(ctx.req.url).origin}/${ctx.bucket}/${
    object.key.split("/").map(encodeURIComponent).join("/")
  }`;
  const redirect = fields.get("success_action_redirect") ?? fields.get("redirect");
  if (redirect && URL.canParse(redirect)) {
    const target = new URL(redirect);
    target.searchParams.set("bucket", ctx.bucket);
    target.searchParams.set("key", object.key);
    target.searchParams.set("etag", object.etag);
    return emptyResponse(303, { ...headers, location: target.href });
  }
  const status = fields.get("success_action_status");
  if (status === "201") {
    return xmlResponse(
      renderXml("PostResponse", {
        Location: location,
        Bucket: ctx.bucket,
        Key: object.key,
        ETag: object.etag,
      }),
      201,
      { ...headers, location },
    );
  }
  return responseWith(null, status === "200" ? 200 : 204, { ...headers, location });
}

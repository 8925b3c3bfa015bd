/** Multipart upload operations. (Placeholder: implemented by the multipart work.) */
import type { RequestContext } from "./context.ts";
import { S3Error } from "./errors.ts";

const notYet = (_ctx: RequestContext): Promise<Response> =>
  Promise.reject(new S3Error("NotImplemented"));

/** POST /{bucket}/{key}?uploads */
export const createMultipartUpload = notYet;
/** PUT /{bucket}/{key}?partNumber&uploadId */
export const uploadPart = notYet;
/** PUT /{bucket}/{key}?partNumber&uploadId with x-amz-copy-source */
export const uploadPartCopy = notYet;
/** POST /{bucket}/{key}?uploadId */
export const completeMultipartUpload = notYet;
/** DELETE /{bucket}/{key}?uploadId */
export const abortMultipartUpload = notYet;
/** GET /{bucket}/{key}?uploadId */
export const listParts = notYet;
/** GET /{bucket}?uploads */
export const listMultipartUploads = notYet;

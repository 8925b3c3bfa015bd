/** Listing operations: ListObjects (V1) and ListObjectsV2. (Placeholder: implemented by the listing work.) */
import type { RequestContext } from "./context.ts";
import { S3Error } from "./errors.ts";

/** GET /{bucket} */
export function listObjectsV1(_ctx: RequestContext): Promise<Response> {
  return Promise.reject(new S3Error("NotImplemented"));
}

/** GET /{bucket}?list-type=2 */
export function listObjectsV2(_ctx: RequestContext): Promise<Response> {
  return Promise.reject(new S3Error("NotImplemented"));
}

/**
 * The AWS SDK for JavaScript v3 packages the tests drive geckos3 with.
 *
 * Test-only packages are pinned here rather than in deno.json's import map: every entry of that
 * map is downloaded by `deno task start` on a fresh machine, and these weigh about 50 MB.
 */
export * from "npm:@aws-sdk/client-s3@3.1175.0";
export { Upload } from "npm:@aws-sdk/lib-storage@3.1175.0";
export { getSignedUrl } from "npm:@aws-sdk/s3-request-presigner@3.1169.0";
export { NodeHttpHandler } from "npm:@smithy/node-http-handler@4.14.2";
export { Sha512 } from "npm:@aws-sdk/checksums@3.1002.7/sha";
export { Md5 } from "npm:@aws-sdk/checksums@3.1002.7/md5";
export { Xxh3_128, Xxh3_64, Xxh64 } from "npm:@aws-sdk/checksums@3.1002.7/xxh";
export { createPresignedPost } from "npm:@aws-sdk/s3-presigned-post@3.1178.0";

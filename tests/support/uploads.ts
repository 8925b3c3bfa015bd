/** Test support: multipart uploads made through the SDK. */
import {
  CompleteMultipartUploadCommand,
  type CompleteMultipartUploadCommandOutput,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  type S3Client,
  UploadPartCommand,
} from "../deps/aws_sdk.ts";

/** Uploads `body` as a multipart upload of one part; `create` adds to CreateMultipartUpload's input. */
export async function onePartUpload(
  s3: S3Client,
  target: { Bucket: string; Key: string },
  body: Uint8Array,
  create: Partial<CreateMultipartUploadCommandInput> = {},
): Promise<CompleteMultipartUploadCommandOutput> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ ...target, ...create }));
  const part = await s3.send(
    new UploadPartCommand({ ...target, UploadId, PartNumber: 1, Body: body }),
  );
  return await s3.send(
    new CompleteMultipartUploadCommand({
      ...target,
      UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    }),
  );
}

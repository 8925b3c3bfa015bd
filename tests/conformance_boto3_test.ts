/** S3 behaviours real clients depend on, each checked with boto3 (tests/clients/boto3_conformance.py). */
import { boto3Cases } from "./support/boto3.ts";

const boto3Case = boto3Cases("boto3_conformance.py");

boto3Case("empty_put_then_more", "an empty PUT with Expect: 100-continue does not stall the next");
boto3Case("url_encoding_lists_space_as_percent_20", "encoding-type=url lists a space as %20");
boto3Case(
  "empty_continuation_token_lists_from_start",
  "an empty continuation token lists from the start",
);
boto3Case("create_owned_bucket_again", "creating a bucket you own again is 200 in us-east-1");
boto3Case("part_copy_range_beyond_object", "UploadPartCopy past the source's end is InvalidRange");
boto3Case(
  "conditional_writes_and_deletes",
  "If-Match on PutObject and DeleteObject, size and time",
);
boto3Case(
  "aws_chunked_content_encoding_is_not_framing",
  "Content-Encoding: aws-chunked alone is no framing",
);
boto3Case("get_and_head_by_part_number", "GET and HEAD with PartNumber return that part");
boto3Case("object_attributes_list_parts", "GetObjectAttributes lists parts with a count, paged");
boto3Case("retried_completion_succeeds", "a retried CompleteMultipartUpload answers the same");
boto3Case(
  "complete_checks_the_object_checksum",
  "a whole-object checksum sent with Complete is checked",
);
boto3Case("list_buckets_paged_and_filtered", "ListBuckets pages, filters by prefix and region");
boto3Case("bucket_tagging_and_tag_rules", "bucket tagging, and S3's tag limits as InvalidTag");
boto3Case("rename_object", "RenameObject moves an object and its metadata atomically");
boto3Case(
  "copy_recomputes_checksum",
  "CopyObject with ChecksumAlgorithm computes it; FULL_OBJECT rules",
);
boto3Case("multipart_sha512_composite", "a SHA512 multipart upload gets the composite SHA512");

/** Versioning as boto3 sees it, one behaviour per case (tests/clients/boto3_versioning.py). */
import { boto3Cases } from "./support/boto3.ts";

const boto3Case = boto3Cases("boto3_versioning.py");

boto3Case("bucket_versioning_states", "versioning states; MFA delete is refused with 501");
boto3Case("versions_and_reads_by_id", "every PUT is a version, read back by id with its own ETag");
boto3Case("delete_markers", "a delete adds a marker: GET 404 with the marker header, by id 405");
boto3Case("permanent_delete_promotes_next", "deleting the current version promotes the next");
boto3Case("null_version_and_suspended", "the null version: before versioning and suspended");
boto3Case("list_object_versions_paging", "ListObjectVersions pages exactly with both markers");
boto3Case("copy_tag_and_batch_delete_by_version", "copy, tags and DeleteObjects by version id");
boto3Case("multipart_makes_a_version", "CompleteMultipartUpload makes a version");

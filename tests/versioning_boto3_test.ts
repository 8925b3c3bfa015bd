/** Versioning as boto3 sees it, one behaviour per case (tests/clients/boto3_versioning.py). */
import { hasCommand, withClientServer } from "./support/clients.ts";
import { assert } from "./support/assert.ts";

const SCRIPT = new URL("./clients/boto3_versioning.py", import.meta.url).pathname;

/** Runs one case of the script against a fresh server. */
function boto3Case(name: string, what: string): void {
  Deno.test({ name: `boto3: ${what}`, sanitizeResources: false, sanitizeOps: false }, async () => {
    assert(hasCommand("python3"), "python3 with boto3 is needed (.ci/run installs it)");
    await withClientServer(async (c) => {
      const r = await c.run("python3", [SCRIPT, name], { env: { S3_ENDPOINT: c.url } });
      assert(r.stdout.includes(`ok ${name}`), `${r.stdout}\n${r.stderr}`);
    });
  });
}

boto3Case("bucket_versioning_states", "versioning states; MFA delete is refused with 501");
boto3Case("versions_and_reads_by_id", "every PUT is a version, read back by id with its own ETag");
boto3Case("delete_markers", "a delete adds a marker: GET 404 with the marker header, by id 405");
boto3Case("permanent_delete_promotes_next", "deleting the current version promotes the next");
boto3Case("null_version_and_suspended", "the null version: before versioning and suspended");
boto3Case("list_object_versions_paging", "ListObjectVersions pages exactly with both markers");
boto3Case("copy_tag_and_batch_delete_by_version", "copy, tags and DeleteObjects by version id");
boto3Case("multipart_makes_a_version", "CompleteMultipartUpload makes a version");

"""boto3 against geckos3's versioning, one behaviour per case: python3 boto3_versioning.py CASE.

Run by tests/versioning_boto3_test.ts; prints "ok CASE" when the behaviour matches S3's.
"""
import sys

from botocore.config import Config
from botocore.exceptions import ClientError

from gecko import check, client

s3 = client(Config(read_timeout=10, retries={"mode": "standard", "total_max_attempts": 1}))


def error_of(fn):
    """(code, status, headers) of the error fn raises, or (None, 200, {})."""
    try:
        fn()
    except ClientError as e:
        meta = e.response["ResponseMetadata"]
        return e.response["Error"]["Code"], meta["HTTPStatusCode"], meta.get("HTTPHeaders", {})
    return None, 200, {}


def versioned(bucket, status="Enabled"):
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def versions_of(bucket, **kw):
    """[(key, version id, is latest, is marker)] of every version, paged by the paginator."""
    out = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, **kw):
        rows = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in page.get("Versions", [])]
        rows += [(m["Key"], m["VersionId"], m["IsLatest"], True) for m in page.get("DeleteMarkers", [])]
        out += rows
    return out


def bucket_versioning_states():
    """Get/PutBucketVersioning: empty before, Enabled, Suspended; MFA delete refused with 501."""
    s3.create_bucket(Bucket="state-bucket")
    r = s3.get_bucket_versioning(Bucket="state-bucket")
    check("Status" not in r, "status before %r" % r.get("Status"))
    for status in ["Enabled", "Suspended"]:
        s3.put_bucket_versioning(Bucket="state-bucket", VersioningConfiguration={"Status": status})
        got = s3.get_bucket_versioning(Bucket="state-bucket").get("Status")
        check(got == status, "status %r" % got)
    code, status, _ = error_of(lambda: s3.put_bucket_versioning(
        Bucket="state-bucket",
        VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
        MFA="arn:aws:iam::123456789012:mfa/user 123456",
    ))
    check((code, status) == ("NotImplemented", 501), "MFA delete %r %r" % (code, status))


def versions_and_reads_by_id():
    """Each PutObject makes a version read back by id with its own ETag and metadata."""
    versioned("read-bucket")
    v1 = s3.put_object(Bucket="read-bucket", Key="k", Body=b"one", Metadata={"n": "1"})
    v2 = s3.put_object(Bucket="read-bucket", Key="k", Body=b"two!", Metadata={"n": "2"})
    check(v1["VersionId"] != v2["VersionId"], "ids differ")
    old = s3.get_object(Bucket="read-bucket", Key="k", VersionId=v1["VersionId"])
    check(old["Body"].read() == b"one", "old bytes")
    check(old["Metadata"] == {"n": "1"} and old["ETag"] == v1["ETag"], "old metadata and ETag")
    check(old["VersionId"] == v1["VersionId"], "old version id header")
    head = s3.head_object(Bucket="read-bucket", Key="k")
    check(head["VersionId"] == v2["VersionId"] and head["Metadata"] == {"n": "2"}, "current")
    code, status, _ = error_of(
        lambda: s3.get_object(Bucket="read-bucket", Key="k", VersionId="0" * 19))
    check((code, status) == ("NoSuchVersion", 404), "unknown id %r %r" % (code, status))
    code, status, _ = error_of(
        lambda: s3.get_object(Bucket="read-bucket", Key="k", VersionId="not-an-id"))
    check((code, status) == ("InvalidArgument", 400), "malformed id %r %r" % (code, status))


def delete_markers():
    """DeleteObject adds a marker: GET 404 with x-amz-delete-marker, by id 405."""
    versioned("marker-bucket")
    v1 = s3.put_object(Bucket="marker-bucket", Key="k", Body=b"one")["VersionId"]
    d = s3.delete_object(Bucket="marker-bucket", Key="k")
    check(d.get("DeleteMarker") is True, "marker made %r" % d)
    marker = d["VersionId"]
    code, status, headers = error_of(lambda: s3.get_object(Bucket="marker-bucket", Key="k"))
    check((code, status) == ("NoSuchKey", 404), "GET after delete %r %r" % (code, status))
    check(headers.get("x-amz-delete-marker") == "true", "delete marker header %r" % headers)
    code, status, _ = error_of(
        lambda: s3.get_object(Bucket="marker-bucket", Key="k", VersionId=marker))
    check((code, status) == ("MethodNotAllowed", 405), "GET marker %r %r" % (code, status))
    _, status, _ = error_of(
        lambda: s3.head_object(Bucket="marker-bucket", Key="k", VersionId=marker))
    check(status == 405, "HEAD marker %r" % status)
    got = versions_of("marker-bucket")
    check(got == [("k", v1, False, False), ("k", marker, True, True)], "listing %r" % got)
    r = s3.delete_object(Bucket="marker-bucket", Key="k", VersionId=marker)
    check(r.get("DeleteMarker") is True and r["VersionId"] == marker, "marker removed %r" % r)
    check(s3.get_object(Bucket="marker-bucket", Key="k")["Body"].read() == b"one", "restored")


def permanent_delete_promotes_next():
    """Deleting the current version by id makes the next newest current."""
    versioned("perm-bucket")
    v1 = s3.put_object(Bucket="perm-bucket", Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket="perm-bucket", Key="k", Body=b"two")["VersionId"]
    r = s3.delete_object(Bucket="perm-bucket", Key="k", VersionId=v2)
    check(r["VersionId"] == v2 and not r.get("DeleteMarker"), "delete %r" % r)
    got = s3.get_object(Bucket="perm-bucket", Key="k")
    check(got["Body"].read() == b"one" and got["VersionId"] == v1, "v1 current")
    s3.delete_object(Bucket="perm-bucket", Key="k", VersionId=v1)
    check(versions_of("perm-bucket") == [], "no versions left")
    s3.delete_bucket(Bucket="perm-bucket")


def null_version_and_suspended():
    """Objects from before versioning are version null; Suspended writes replace it."""
    s3.create_bucket(Bucket="null-bucket")
    s3.put_object(Bucket="null-bucket", Key="k", Body=b"before")
    s3.put_bucket_versioning(Bucket="null-bucket", VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket="null-bucket", Key="k", Body=b"enabled")["VersionId"]
    old = s3.get_object(Bucket="null-bucket", Key="k", VersionId="null")
    check(old["Body"].read() == b"before" and old["VersionId"] == "null", "null version")
    s3.put_bucket_versioning(Bucket="null-bucket", VersioningConfiguration={"Status": "Suspended"})
    r = s3.put_object(Bucket="null-bucket", Key="k", Body=b"suspended")
    check(r.get("VersionId") == "null", "suspended write id %r" % r.get("VersionId"))
    got = versions_of("null-bucket")
    check(got == [("k", "null", True, False), ("k", v1, False, False)], "listing %r" % got)
    check(s3.get_object(Bucket="null-bucket", Key="k", VersionId="null")["Body"].read()
          == b"suspended", "null replaced")


def list_object_versions_paging():
    """ListObjectVersions pages exactly with key and version-id markers, prefix and delimiter."""
    versioned("list-bucket")
    want = []
    for key in ["a", "b/1", "b/2", "c"]:
        ids = [s3.put_object(Bucket="list-bucket", Key=key, Body=key.encode())["VersionId"]
               for _ in range(3)]
        want += [(key, i, n == 0, False) for n, i in enumerate(reversed(ids))]
    for size in [1, 2, 5, 1000]:
        got = versions_of("list-bucket", PaginationConfig={"PageSize": size})
        check(got == want, "pages of %d: %r" % (size, got))
    r = s3.list_object_versions(Bucket="list-bucket", Delimiter="/", MaxKeys=100)
    check([p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["b/"], "prefixes")
    check({v["Key"] for v in r["Versions"]} == {"a", "c"}, "rolled up")
    r = s3.list_object_versions(Bucket="list-bucket", Prefix="b/", MaxKeys=4)
    check(r["IsTruncated"] and r["NextKeyMarker"] == "b/2", "next key marker %r" % r)
    check(r["NextVersionIdMarker"] == want[6][1], "next version marker")
    code, status, _ = error_of(lambda: s3.list_object_versions(
        Bucket="list-bucket", VersionIdMarker=want[0][1]))
    check((code, status) == ("InvalidArgument", 400), "marker without key %r" % code)


def copy_tag_and_batch_delete_by_version():
    """CopyObject from a version, tags per version, DeleteObjects with version ids."""
    versioned("copy-bucket")
    v1 = s3.put_object(Bucket="copy-bucket", Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket="copy-bucket", Key="k", Body=b"two")
    c = s3.copy_object(Bucket="copy-bucket", Key="k",
                       CopySource={"Bucket": "copy-bucket", "Key": "k", "VersionId": v1})
    check(c["CopySourceVersionId"] == v1, "copy source version %r" % c)
    check(s3.get_object(Bucket="copy-bucket", Key="k")["Body"].read() == b"one", "restored copy")
    s3.put_object_tagging(Bucket="copy-bucket", Key="k", VersionId=v1,
                          Tagging={"TagSet": [{"Key": "t", "Value": "v1"}]})
    tags = s3.get_object_tagging(Bucket="copy-bucket", Key="k", VersionId=v1)
    check(tags["TagSet"] == [{"Key": "t", "Value": "v1"}], "version tags %r" % tags)
    check(s3.get_object_tagging(Bucket="copy-bucket", Key="k")["TagSet"] == [], "current tags")
    r = s3.delete_objects(Bucket="copy-bucket", Delete={"Objects": [
        {"Key": "k", "VersionId": v1}, {"Key": "k"}]})
    deleted = r["Deleted"]
    check(deleted[0] == {"Key": "k", "VersionId": v1}, "by id %r" % deleted[0])
    check(deleted[1]["DeleteMarker"] is True and deleted[1]["DeleteMarkerVersionId"], "marker")
    code, status, _ = error_of(lambda: s3.delete_bucket(Bucket="copy-bucket"))
    check((code, status) == ("BucketNotEmpty", 409), "delete bucket %r" % code)


def multipart_makes_a_version():
    """CompleteMultipartUpload makes a version with its own multipart ETag."""
    versioned("mpu-bucket")
    v1 = s3.put_object(Bucket="mpu-bucket", Key="k", Body=b"plain")
    up = s3.create_multipart_upload(Bucket="mpu-bucket", Key="k")
    part = s3.upload_part(Bucket="mpu-bucket", Key="k", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"x" * 100)
    done = s3.complete_multipart_upload(
        Bucket="mpu-bucket", Key="k", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    check(done["VersionId"] not in (None, v1["VersionId"]), "new version %r" % done)
    check(done["ETag"].endswith('-1"'), "multipart ETag %r" % done["ETag"])
    old = s3.head_object(Bucket="mpu-bucket", Key="k", VersionId=v1["VersionId"])
    check(old["ETag"] == v1["ETag"], "old ETag kept")


CASES = {f.__name__: f for f in [
    bucket_versioning_states,
    versions_and_reads_by_id,
    delete_markers,
    permanent_delete_promotes_next,
    null_version_and_suspended,
    list_object_versions_paging,
    copy_tag_and_batch_delete_by_version,
    multipart_makes_a_version,
]}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
    print("ok " + sys.argv[1])

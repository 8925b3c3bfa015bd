"""boto3 against geckos3, one S3 behaviour per case: python3 boto3_conformance.py CASE.

Run by tests/conformance_boto3_test.ts; prints "ok CASE" when the behaviour matches S3's.
"""
import sys

from botocore.config import Config
from botocore.exceptions import ClientError

from gecko import check, client

# A short read timeout: a response the client waits for in vain fails the case instead of stalling.
s3 = client(Config(read_timeout=10, retries={"mode": "standard", "total_max_attempts": 1}))


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200


def empty_put_then_more():
    """An empty PUT (sent with Expect: 100-continue) does not stall the next request."""
    s3.create_bucket(Bucket="expect-bucket")
    s3.put_object(Bucket="expect-bucket", Key="empty", Body=b"")
    s3.put_object(Bucket="expect-bucket", Key="next", Body=b"x")
    check(s3.head_object(Bucket="expect-bucket", Key="empty")["ContentLength"] == 0, "empty size")
    check(s3.get_object(Bucket="expect-bucket", Key="next")["Body"].read() == b"x", "next body")


def url_encoding_lists_space_as_percent_20():
    """encoding-type=url encodes a space as %20 (never +), in keys and common prefixes."""
    s3.create_bucket(Bucket="enc-bucket")
    for key in ["quux ab/xyzzy", "foo+1/bar", "plain"]:
        s3.put_object(Bucket="enc-bucket", Key=key, Body=b"x")
    r = s3.list_objects_v2(Bucket="enc-bucket", Delimiter="/", EncodingType="url")
    prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    check(prefixes == ["foo%2B1/", "quux%20ab/"], "prefixes %r" % prefixes)
    r = s3.list_objects(Bucket="enc-bucket", EncodingType="url")
    keys = [c["Key"] for c in r["Contents"]]
    check(keys == ["foo%2B1/bar", "plain", "quux%20ab/xyzzy"], "keys %r" % keys)


def empty_continuation_token_lists_from_start():
    """ContinuationToken="" lists from the start and echoes the empty token."""
    s3.create_bucket(Bucket="token-bucket")
    s3.put_object(Bucket="token-bucket", Key="a", Body=b"x")
    r = s3.list_objects_v2(Bucket="token-bucket", ContinuationToken="")
    check([c["Key"] for c in r["Contents"]] == ["a"], "contents %r" % r.get("Contents"))
    check(r.get("ContinuationToken") == "", "token %r" % r.get("ContinuationToken"))


def create_owned_bucket_again():
    """CreateBucket of a bucket you own answers 200 in us-east-1, as S3 does there."""
    s3.create_bucket(Bucket="twice-bucket")
    s3.create_bucket(Bucket="twice-bucket")


def part_copy_range_beyond_object():
    """UploadPartCopy with a source range past the object's end is InvalidRange."""
    s3.create_bucket(Bucket="copy-bucket")
    s3.put_object(Bucket="copy-bucket", Key="src", Body=b"0123456789")
    up = s3.create_multipart_upload(Bucket="copy-bucket", Key="dst")["UploadId"]
    code, status = error_code(lambda: s3.upload_part_copy(
        Bucket="copy-bucket", Key="dst", UploadId=up, PartNumber=1,
        CopySource={"Bucket": "copy-bucket", "Key": "src"}, CopySourceRange="bytes=5-20"))
    check((code, status) == ("InvalidRange", 416), "got %r" % ((code, status),))


def conditional_writes_and_deletes():
    """If-Match on PutObject (412, or 404 without an object) and on DeleteObject."""
    s3.create_bucket(Bucket="cond-bucket")
    etag = s3.put_object(Bucket="cond-bucket", Key="k", Body=b"v1")["ETag"]
    s3.put_object(Bucket="cond-bucket", Key="k", Body=b"v2", IfMatch=etag)
    code, status = error_code(lambda: s3.put_object(Bucket="cond-bucket", Key="k", Body=b"v3", IfMatch=etag))
    check((code, status) == ("PreconditionFailed", 412), "stale If-Match put: %r" % ((code, status),))
    code, status = error_code(lambda: s3.put_object(Bucket="cond-bucket", Key="none", Body=b"v", IfMatch=etag))
    check((code, status) == ("NoSuchKey", 404), "If-Match on a missing key: %r" % ((code, status),))
    code, status = error_code(lambda: s3.delete_object(Bucket="cond-bucket", Key="k", IfMatch=etag))
    check((code, status) == ("PreconditionFailed", 412), "stale If-Match delete: %r" % ((code, status),))
    current = s3.head_object(Bucket="cond-bucket", Key="k")
    code, status = error_code(lambda: s3.delete_object(Bucket="cond-bucket", Key="k", IfMatchSize=99))
    check((code, status) == ("PreconditionFailed", 412), "wrong size delete: %r" % ((code, status),))
    s3.delete_object(Bucket="cond-bucket", Key="k", IfMatch=current["ETag"], IfMatchSize=2,
                     IfMatchLastModifiedTime=current["LastModified"])
    # CompleteMultipartUpload with If-Match: 404 without an object, 412 on another ETag.
    def complete(key, **kw):
        up = s3.create_multipart_upload(Bucket="cond-bucket", Key=key)["UploadId"]
        e = s3.upload_part(Bucket="cond-bucket", Key=key, UploadId=up, PartNumber=1, Body=b"p")["ETag"]
        return lambda: s3.complete_multipart_upload(
            Bucket="cond-bucket", Key=key, UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]}, **kw)
    code, status = error_code(complete("mp-none", IfMatch=etag))
    check((code, status) == ("NoSuchKey", 404), "If-Match complete, no object: %r" % ((code, status),))
    s3.put_object(Bucket="cond-bucket", Key="mp-there", Body=b"now")
    code, status = error_code(complete("mp-there", IfMatch=etag))
    check((code, status) == ("PreconditionFailed", 412), "If-Match complete, other etag: %r" % ((code, status),))
    there = s3.head_object(Bucket="cond-bucket", Key="mp-there")["ETag"]
    code, _ = error_code(complete("mp-there", IfMatch=there))
    check(code is None, "If-Match complete, same etag: %r" % code)
    code, _ = error_code(lambda: s3.head_object(Bucket="cond-bucket", Key="k"))
    check(code == "404", "deleted object still there: %r" % code)


def aws_chunked_content_encoding_is_not_framing():
    """Content-Encoding: aws-chunked alone frames nothing, and is never stored."""
    s3.create_bucket(Bucket="ce-bucket")
    for encoding, stored in [("aws-chunked", None), ("gzip, aws-chunked", "gzip")]:
        s3.put_object(Bucket="ce-bucket", Key=encoding, Body=b"hello world", ContentEncoding=encoding)
        head = s3.head_object(Bucket="ce-bucket", Key=encoding)
        check(head.get("ContentEncoding") == stored, "%s stored as %r" % (encoding, head.get("ContentEncoding")))
        body = s3.get_object(Bucket="ce-bucket", Key=encoding)["Body"].read()
        check(body == b"hello world", "%s body %r" % (encoding, body))


def get_and_head_by_part_number():
    """GET and HEAD with PartNumber return that part (206, Content-Range, PartsCount)."""
    s3.create_bucket(Bucket="part-bucket")
    parts = [bytes([65 + i]) * size for i, size in enumerate([5 * 1024 * 1024, 5 * 1024 * 1024, 1024])]
    up = s3.create_multipart_upload(Bucket="part-bucket", Key="mp")["UploadId"]
    done = []
    for i, data in enumerate(parts):
        etag = s3.upload_part(Bucket="part-bucket", Key="mp", UploadId=up, PartNumber=i + 1, Body=data)["ETag"]
        done.append({"PartNumber": i + 1, "ETag": etag})
    s3.complete_multipart_upload(Bucket="part-bucket", Key="mp", UploadId=up, MultipartUpload={"Parts": done})
    r = s3.get_object(Bucket="part-bucket", Key="mp", PartNumber=2)
    check(r["ResponseMetadata"]["HTTPStatusCode"] == 206, "status %r" % r["ResponseMetadata"]["HTTPStatusCode"])
    check(r["Body"].read() == parts[1], "part 2 bytes")
    size = 10 * 1024 * 1024 + 1024
    check(r["ContentRange"] == "bytes 5242880-10485759/%d" % size, "range %r" % r["ContentRange"])
    check(r["PartsCount"] == 3, "parts count %r" % r.get("PartsCount"))
    h = s3.head_object(Bucket="part-bucket", Key="mp", PartNumber=3)
    check(h["ContentLength"] == 1024 and h["PartsCount"] == 3, "head part 3 %r" % h)
    code, status = error_code(lambda: s3.get_object(Bucket="part-bucket", Key="mp", PartNumber=4))
    check((code, status) == ("InvalidPartNumber", 416), "part 4: %r" % ((code, status),))
    s3.put_object(Bucket="part-bucket", Key="plain", Body=b"0123456789")
    r = s3.get_object(Bucket="part-bucket", Key="plain", PartNumber=1)
    check(r["ResponseMetadata"]["HTTPStatusCode"] == 206, "plain status")
    check(r["Body"].read() == b"0123456789" and r["ContentRange"] == "bytes 0-9/10", "plain part 1")
    code, status = error_code(lambda: s3.head_object(Bucket="part-bucket", Key="plain", PartNumber=2))
    check(status == 416, "plain part 2: %r" % ((code, status),))


def object_attributes_list_parts():
    """GetObjectAttributes ObjectParts: the parts count, and parts paged by MaxParts."""
    s3.create_bucket(Bucket="attr-bucket")
    up = s3.create_multipart_upload(Bucket="attr-bucket", Key="mp", ChecksumAlgorithm="CRC32")["UploadId"]
    done = []
    for n, size in [(1, 5 * 1024 * 1024), (2, 5 * 1024 * 1024), (3, 100)]:
        r = s3.upload_part(Bucket="attr-bucket", Key="mp", UploadId=up, PartNumber=n,
                           Body=bytes([n]) * size, ChecksumAlgorithm="CRC32")
        done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    s3.complete_multipart_upload(Bucket="attr-bucket", Key="mp", UploadId=up, MultipartUpload={"Parts": done})
    a = s3.get_object_attributes(Bucket="attr-bucket", Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=2)
    parts = a["ObjectParts"]
    check(parts["TotalPartsCount"] == 3, "count %r" % parts)
    check([p["PartNumber"] for p in parts["Parts"]] == [1, 2] and parts["IsTruncated"], "page 1 %r" % parts)
    check(parts["Parts"][0]["Size"] == 5 * 1024 * 1024 and parts["Parts"][0]["ChecksumCRC32"] == done[0]["ChecksumCRC32"],
          "part 1 %r" % parts["Parts"][0])
    a = s3.get_object_attributes(Bucket="attr-bucket", Key="mp", ObjectAttributes=["ObjectParts"],
                                 PartNumberMarker=parts["NextPartNumberMarker"])
    rest = a["ObjectParts"]
    check([p["PartNumber"] for p in rest["Parts"]] == [3] and not rest["IsTruncated"], "page 2 %r" % rest)


def retried_completion_succeeds():
    """A CompleteMultipartUpload retried after success answers 200 with the same ETag."""
    s3.create_bucket(Bucket="retry-bucket")
    up = s3.create_multipart_upload(Bucket="retry-bucket", Key="mp")["UploadId"]
    etag = s3.upload_part(Bucket="retry-bucket", Key="mp", UploadId=up, PartNumber=1, Body=b"only part")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket="retry-bucket", Key="mp", UploadId=up, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket="retry-bucket", Key="mp", UploadId=up, MultipartUpload=parts)
    check(again["ETag"] == first["ETag"], "etags %r %r" % (first["ETag"], again["ETag"]))
    code, _ = error_code(lambda: s3.complete_multipart_upload(
        Bucket="retry-bucket", Key="other", UploadId=up, MultipartUpload=parts))
    check(code == "NoSuchUpload", "another key: %r" % code)
    code, _ = error_code(lambda: s3.upload_part(Bucket="retry-bucket", Key="mp", UploadId=up, PartNumber=2, Body=b"x"))
    check(code == "NoSuchUpload", "a part after completion: %r" % code)


def complete_checks_the_object_checksum():
    """A whole-object CRC32 sent with CompleteMultipartUpload is checked against the object."""
    import base64
    import zlib
    s3.create_bucket(Bucket="full-bucket")
    parts = [bytes([i + 1]) * (5 * 1024 * 1024) for i in range(3)]
    crc = 0
    for p in parts:
        crc = zlib.crc32(p, crc)
    whole = base64.b64encode(crc.to_bytes(4, "big")).decode()
    for kind, sent, ok in [("FULL_OBJECT", whole, True), ("COMPOSITE", whole, True),
                           ("FULL_OBJECT", "AAAAAA==", False), ("COMPOSITE", "AAAAAA==", False)]:
        up = s3.create_multipart_upload(Bucket="full-bucket", Key="k", ChecksumAlgorithm="CRC32",
                                        ChecksumType=kind)["UploadId"]
        done = []
        for n, data in enumerate(parts, 1):
            r = s3.upload_part(Bucket="full-bucket", Key="k", UploadId=up, PartNumber=n, Body=data,
                               ChecksumAlgorithm="CRC32")
            done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
        code, _ = error_code(lambda: s3.complete_multipart_upload(
            Bucket="full-bucket", Key="k", UploadId=up, MultipartUpload={"Parts": done},
            ChecksumCRC32=sent, ChecksumType=kind))
        check(code == (None if ok else "BadDigest"), "%s with %s: %r" % (kind, sent, code))
        if ok and kind == "FULL_OBJECT":
            head = s3.head_object(Bucket="full-bucket", Key="k", ChecksumMode="ENABLED")
            check(head["ChecksumCRC32"] == whole, "stored %r" % head.get("ChecksumCRC32"))


def list_buckets_paged_and_filtered():
    """ListBuckets with MaxBuckets pages by ContinuationToken; Prefix filters; entries name their region."""
    names = ["page-a-bucket", "page-b-bucket", "page-c-bucket", "other-bucket"]
    for name in names:
        s3.create_bucket(Bucket=name)
    seen, token = [], None
    while True:
        kw = {"MaxBuckets": 2, "Prefix": "page-"}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_buckets(**kw)
        check(len(r["Buckets"]) <= 2, "page size %d" % len(r["Buckets"]))
        seen += [b["Name"] for b in r["Buckets"]]
        check(all(b["BucketRegion"] == "us-east-1" for b in r["Buckets"]), "regions %r" % r["Buckets"])
        token = r.get("ContinuationToken")
        if not token:
            break
    check(seen == names[:3], "paged %r" % seen)
    check(r.get("Prefix") == "page-", "prefix %r" % r.get("Prefix"))
    check(len(s3.list_buckets()["Buckets"]) == 4, "all buckets")
    check(s3.list_buckets(BucketRegion="eu-west-1")["Buckets"] == [], "other region")


def bucket_tagging_and_tag_rules():
    """Bucket tagging (NoSuchTagSet when none), and S3's tag limits with InvalidTag."""
    s3.create_bucket(Bucket="tag-bucket")
    code, status = error_code(lambda: s3.get_bucket_tagging(Bucket="tag-bucket"))
    check((code, status) == ("NoSuchTagSet", 404), "no tags yet: %r" % ((code, status),))
    tags = [{"Key": "k%d" % i, "Value": "v%d" % i} for i in range(50)]
    s3.put_bucket_tagging(Bucket="tag-bucket", Tagging={"TagSet": tags})
    got = s3.get_bucket_tagging(Bucket="tag-bucket")["TagSet"]
    check(sorted((t["Key"], t["Value"]) for t in got) == sorted((t["Key"], t["Value"]) for t in tags), "bucket tags")
    too_many = tags + [{"Key": "k50", "Value": "x"}]
    code, _ = error_code(lambda: s3.put_bucket_tagging(Bucket="tag-bucket", Tagging={"TagSet": too_many}))
    check(code == "InvalidTag", "51 bucket tags: %r" % code)
    s3.delete_bucket_tagging(Bucket="tag-bucket")
    code, _ = error_code(lambda: s3.get_bucket_tagging(Bucket="tag-bucket"))
    check(code == "NoSuchTagSet", "deleted tags: %r" % code)
    s3.put_object(Bucket="tag-bucket", Key="o", Body=b"x", Tagging="empty=&full=yes")
    got = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket="tag-bucket", Key="o")["TagSet"]}
    check(got == {"empty": "", "full": "yes"}, "header tags %r" % got)
    eleven = [{"Key": "k%d" % i, "Value": ""} for i in range(11)]
    for bad in [eleven, [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
                [{"Key": "x" * 129, "Value": ""}], [{"Key": "k", "Value": "v" * 257}],
                [{"Key": "bad#key", "Value": ""}]]:
        code, _ = error_code(lambda: s3.put_object_tagging(Bucket="tag-bucket", Key="o", Tagging={"TagSet": bad}))
        check(code == "InvalidTag", "object tags %r: %r" % (bad[:2], code))


def rename_object():
    """RenameObject moves an object and its metadata atomically; conditions on both sides."""
    s3.create_bucket(Bucket="rename-bucket")
    put = s3.put_object(Bucket="rename-bucket", Key="old/name.txt", Body=b"renamed bytes",
                        ContentType="text/plain", Metadata={"who": "me"})
    s3.rename_object(Bucket="rename-bucket", Key="new/place.txt", RenameSource="/rename-bucket/old/name.txt")
    got = s3.get_object(Bucket="rename-bucket", Key="new/place.txt")
    check(got["Body"].read() == b"renamed bytes", "bytes")
    check(got["ETag"] == put["ETag"] and got["ContentType"] == "text/plain", "metadata %r" % got)
    check(got["Metadata"] == {"who": "me"}, "user metadata %r" % got["Metadata"])
    code, _ = error_code(lambda: s3.head_object(Bucket="rename-bucket", Key="old/name.txt"))
    check(code == "404", "source still there: %r" % code)
    keys = [c["Key"] for c in s3.list_objects_v2(Bucket="rename-bucket")["Contents"]]
    check(keys == ["new/place.txt"], "listing %r" % keys)
    code, status = error_code(lambda: s3.rename_object(
        Bucket="rename-bucket", Key="x", RenameSource="/rename-bucket/old/name.txt"))
    check((code, status) == ("NoSuchKey", 404), "missing source: %r" % ((code, status),))
    s3.put_object(Bucket="rename-bucket", Key="other", Body=b"o")
    code, status = error_code(lambda: s3.rename_object(
        Bucket="rename-bucket", Key="other", RenameSource="/rename-bucket/new/place.txt",
        DestinationIfNoneMatch="*"))
    check((code, status) == ("PreconditionFailed", 412), "target exists: %r" % ((code, status),))
    code, status = error_code(lambda: s3.rename_object(
        Bucket="rename-bucket", Key="third", RenameSource="/rename-bucket/new/place.txt",
        SourceIfMatch='"0123456789abcdef0123456789abcdef"'))
    check((code, status) == ("PreconditionFailed", 412), "source etag: %r" % ((code, status),))
    s3.rename_object(Bucket="rename-bucket", Key="other", RenameSource="/rename-bucket/new/place.txt")
    check(s3.get_object(Bucket="rename-bucket", Key="other")["Body"].read() == b"renamed bytes", "replaced")


def copy_recomputes_checksum():
    """CopyObject with ChecksumAlgorithm computes that checksum of the copy and returns it."""
    import base64
    import hashlib
    s3.create_bucket(Bucket="copysum-bucket")
    data = b"copy me " * 5000
    s3.put_object(Bucket="copysum-bucket", Key="src", Body=data)
    r = s3.copy_object(Bucket="copysum-bucket", Key="dst", CopySource={"Bucket": "copysum-bucket", "Key": "src"},
                       ChecksumAlgorithm="SHA256")
    want = base64.b64encode(hashlib.sha256(data).digest()).decode()
    check(r["CopyObjectResult"].get("ChecksumSHA256") == want, "copy result %r" % r["CopyObjectResult"])
    head = s3.head_object(Bucket="copysum-bucket", Key="dst", ChecksumMode="ENABLED")
    check(head.get("ChecksumSHA256") == want, "stored %r" % head.get("ChecksumSHA256"))
    code, _ = error_code(lambda: s3.create_multipart_upload(
        Bucket="copysum-bucket", Key="m", ChecksumAlgorithm="SHA256", ChecksumType="FULL_OBJECT"))
    check(code == "InvalidRequest", "FULL_OBJECT sha256: %r" % code)


def multipart_sha512_composite():
    """A multipart upload with SHA512 checksums gets S3's composite SHA512 (-N)."""
    import base64
    import hashlib
    s3.create_bucket(Bucket="sha512-bucket")
    up = s3.create_multipart_upload(Bucket="sha512-bucket", Key="k", ChecksumAlgorithm="SHA512")["UploadId"]
    parts, digests = [], b""
    for n, data in enumerate([b"a" * (5 * 1024 * 1024), b"tail"], 1):
        r = s3.upload_part(Bucket="sha512-bucket", Key="k", UploadId=up, PartNumber=n, Body=data,
                           ChecksumAlgorithm="SHA512")
        check(r["ChecksumSHA512"] == base64.b64encode(hashlib.sha512(data).digest()).decode(), "part %d" % n)
        digests += hashlib.sha512(data).digest()
        parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA512": r["ChecksumSHA512"]})
    s3.complete_multipart_upload(Bucket="sha512-bucket", Key="k", UploadId=up, MultipartUpload={"Parts": parts})
    want = base64.b64encode(hashlib.sha512(digests).digest()).decode() + "-2"
    head = s3.head_object(Bucket="sha512-bucket", Key="k", ChecksumMode="ENABLED")
    check(head.get("ChecksumSHA512") == want, "composite %r, want %r" % (head.get("ChecksumSHA512"), want))


CASES = {
    f.__name__: f
    for f in [
        empty_put_then_more,
        url_encoding_lists_space_as_percent_20,
        empty_continuation_token_lists_from_start,
        create_owned_bucket_again,
        part_copy_range_beyond_object,
        conditional_writes_and_deletes,
        aws_chunked_content_encoding_is_not_framing,
        get_and_head_by_part_number,
        object_attributes_list_parts,
        retried_completion_succeeds,
        complete_checks_the_object_checksum,
        list_buckets_paged_and_filtered,
        bucket_tagging_and_tag_rules,
        rename_object,
        copy_recomputes_checksum,
        multipart_sha512_composite,
    ]
}

if __name__ == "__main__":
    name = sys.argv[1]
    CASES[name]()
    print("ok " + name)

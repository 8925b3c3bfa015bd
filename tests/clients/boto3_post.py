"""boto3's generate_presigned_post against geckos3, one behaviour per case: python3 boto3_post.py CASE.

Run by tests/post_boto3_test.ts; the form is posted with urllib3 (boto3's own HTTP library),
as a web application's browser would post it. Prints "ok CASE" when the behaviour matches S3's.
"""
import hashlib
import sys

import urllib3
from botocore.config import Config

from gecko import check, client

BUCKET = "post-bucket"


def post(presigned, fields=None, body=b"hello post", filename="hello.txt"):
    """Posts the presigned form (with `fields` changed) and a file; returns the response."""
    form = dict(presigned["fields"])
    form.update(fields or {})
    form["file"] = (filename, body, "application/octet-stream")
    return urllib3.request("POST", presigned["url"], fields=form, redirect=False)


def code_of(response):
    text = response.data.decode()
    return text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in text else None


def run(signature_version):
    s3 = client(Config(signature_version=signature_version))
    s3.create_bucket(Bucket=BUCKET)
    # Without conditions: any file, under the exact key.
    bare = s3.generate_presigned_post(BUCKET, "bare.txt")
    r = post(bare)
    check(r.status == 204, "bare: %r %r" % (r.status, r.data))
    got = s3.get_object(Bucket=BUCKET, Key="bare.txt")
    check(got["Body"].read() == b"hello post", "bare bytes")
    check(got["ETag"] == '"%s"' % hashlib.md5(b"hello post").hexdigest(), "etag")
    # With conditions and fields.
    p = s3.generate_presigned_post(
        BUCKET,
        "in/${filename}",
        Fields={"Content-Type": "text/plain", "success_action_status": "201", "x-amz-meta-by": "boto3"},
        Conditions=[
            ["starts-with", "$key", "in/"],
            {"Content-Type": "text/plain"},
            {"success_action_status": "201"},
            {"x-amz-meta-by": "boto3"},
            ["content-length-range", 1, 64],
        ],
        ExpiresIn=600,
    )
    r = post(p)
    check(r.status == 201 and b"<Key>in/hello.txt</Key>" in r.data, "201: %r %r" % (r.status, r.data))
    head = s3.head_object(Bucket=BUCKET, Key="in/hello.txt")
    check((head["ContentType"], head["Metadata"]) == ("text/plain", {"by": "boto3"}), "head %r" % head)
    for fields, body, expected in [
        ({"Content-Type": "text/html"}, b"x", (403, "AccessDenied")),
        ({"key": "out/${filename}"}, b"x", (403, "AccessDenied")),
        ({"x-amz-meta-by": "someone"}, b"x", (403, "AccessDenied")),
        ({}, b"x" * 65, (400, "EntityTooLarge")),
        ({}, b"", (400, "EntityTooSmall")),
        ({"x-amz-meta-more": "1"}, b"x", (403, "AccessDenied")),
    ]:
        r = post(p, fields, body, filename="broken.txt")
        check((r.status, code_of(r)) == expected, "%r: %r %r" % (fields, r.status, r.data))
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
    check(keys == ["bare.txt", "in/hello.txt"], "nothing else stored: %r" % keys)


def case_sigv4():
    run("s3v4")


def case_sigv2():
    run("s3")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
    print("ok " + sys.argv[1])

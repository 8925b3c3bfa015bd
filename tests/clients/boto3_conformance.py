"""boto3 against geckos3, one S3 behaviour per case: python3 boto3_conformance.py CASE.

Run by tests/conformance_boto3_test.ts; prints "ok CASE" when the behaviour matches S3's.
"""
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["S3_ENDPOINT"]
# A short read timeout: a response the client waits for in vain fails the case instead of stalling.
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id="geckoadmin",
    aws_secret_access_key="geckoadmin",
    region_name="us-east-1",
    config=Config(read_timeout=10, retries={"mode": "standard", "total_max_attempts": 1}),
)


def check(cond, msg):
    if not cond:
        raise SystemExit("FAILED: " + msg)


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


CASES = {f.__name__: f for f in [empty_put_then_more]}

if __name__ == "__main__":
    name = sys.argv[1]
    CASES[name]()
    print("ok " + name)

"""What the boto3 test scripts share: a client for the server under test, and a failing check."""
import os

import boto3


def client(config=None):
    """A boto3 S3 client for the server at $S3_ENDPOINT, with the test credentials."""
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        aws_access_key_id="geckoadmin",
        aws_secret_access_key="geckoadmin",
        region_name="us-east-1",
        config=config,
    )


def check(cond, msg):
    """Ends the script with FAILED: msg unless cond holds."""
    if not cond:
        raise SystemExit("FAILED: " + msg)

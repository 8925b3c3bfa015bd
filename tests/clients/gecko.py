"""What the boto3 test scripts share: a client for the server under test, and a failing check."""
import os

import boto3
from botocore.exceptions import ClientError


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


def user_client(prefix, config=None):
    """A client signing as the user whose keys are in $<prefix>_KEY / $<prefix>_SECRET."""
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        aws_access_key_id=os.environ[prefix + "_KEY"],
        aws_secret_access_key=os.environ[prefix + "_SECRET"],
        region_name="us-east-1",
        config=config,
    )


def error_of(fn):
    """(code, status, message) of the error fn raises, or (None, 200, None)."""
    try:
        fn()
    except ClientError as e:
        err = e.response["Error"]
        return err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message")
    return None, 200, None


def check(cond, msg):
    """Ends the script with FAILED: msg unless cond holds."""
    if not cond:
        raise SystemExit("FAILED: " + msg)

"""boto3 against geckos3's Object Lock, one behaviour per case: python3 boto3_object_lock.py CASE.

Run by tests/object_lock_boto3_test.ts with a users file naming WORKER (may write and delete
versions of "vault", not bypass governance) and STEWARD (may also bypass it); prints "ok CASE"
when the behaviour matches S3's.
"""
import datetime
import sys

from botocore.config import Config

from gecko import check, client, error_of, user_client

CONFIG = Config(read_timeout=10, retries={"mode": "standard", "total_max_attempts": 1})
s3 = client(CONFIG)
LOCKED = "Access Denied because object protected by object lock."


def as_user(prefix):
    """A client signing as the user whose keys are in $<prefix>_KEY / $<prefix>_SECRET."""
    return user_client(prefix, CONFIG)


def days(n):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=n)


def lock_configuration():
    """Object Lock at creation: versioning pinned; default rules put, read back and removed."""
    s3.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    check(s3.get_bucket_versioning(Bucket="vault").get("Status") == "Enabled", "versioning")
    got = s3.get_object_lock_configuration(Bucket="vault")["ObjectLockConfiguration"]
    check(got == {"ObjectLockEnabled": "Enabled"}, "plain %r" % got)
    conf = {"ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration=conf)
    got = s3.get_object_lock_configuration(Bucket="vault")["ObjectLockConfiguration"]
    check(got == conf, "rule %r" % got)
    v = s3.put_object(Bucket="vault", Key="k", Body=b"abc")["VersionId"]
    head = s3.head_object(Bucket="vault", Key="k", VersionId=v)
    check(head.get("ObjectLockMode") == "GOVERNANCE", "default retention %r" % head)
    code, status, _ = error_of(lambda: s3.put_bucket_versioning(
        Bucket="vault", VersioningConfiguration={"Status": "Suspended"}))
    check((code, status) == ("InvalidBucketState", 409), "suspend %r %r" % (code, status))
    bad = {"ObjectLockEnabled": "Enabled",
           "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}}
    code, status, _ = error_of(
        lambda: s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration=bad))
    check((code, status) == ("MalformedXML", 400), "days and years %r" % code)
    zero = {"ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}}
    code, status, _ = error_of(
        lambda: s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration=zero))
    check((code, status) == ("InvalidRetentionPeriod", 400), "zero days %r" % code)
    s3.create_bucket(Bucket="plain")
    code, status, _ = error_of(lambda: s3.get_object_lock_configuration(Bucket="plain"))
    check((code, status) == ("ObjectLockConfigurationNotFoundError", 404), "plain %r" % code)
    code, status, _ = error_of(
        lambda: s3.put_object_lock_configuration(Bucket="plain", ObjectLockConfiguration=conf))
    check((code, status) == ("InvalidBucketState", 409), "unversioned %r" % code)
    s3.put_object(Bucket="plain", Key="k", Body=b"abc")
    code, status, _ = error_of(lambda: s3.get_object_retention(Bucket="plain", Key="k"))
    check((code, status) == ("InvalidRequest", 400), "retention on plain %r" % code)


def retention_and_legal_hold():
    """Lock parameters on PutObject, HEAD's fields, retention changes and legal hold."""
    s3.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    until = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
    v = s3.put_object(Bucket="vault", Key="k", Body=b"abc", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")["VersionId"]
    head = s3.head_object(Bucket="vault", Key="k")
    check(head["ObjectLockMode"] == "GOVERNANCE", "mode")
    check(head["ObjectLockRetainUntilDate"] == until, "until %r" % head["ObjectLockRetainUntilDate"])
    check(head["ObjectLockLegalHoldStatus"] == "ON", "hold")
    r = s3.get_object_retention(Bucket="vault", Key="k", VersionId=v)["Retention"]
    check(r == {"Mode": "GOVERNANCE", "RetainUntilDate": until}, "retention %r" % r)
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": days(30)}
    code, status, message = error_of(
        lambda: s3.put_object_retention(Bucket="vault", Key="k", Retention=shorter))
    check((code, status, message) == ("AccessDenied", 403, LOCKED), "shorten %r" % code)
    s3.put_object_retention(Bucket="vault", Key="k", Retention=shorter,
                            BypassGovernanceRetention=True)
    s3.put_object_retention(Bucket="vault", Key="k",
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": days(31)},
                            BypassGovernanceRetention=True)
    code, status, _ = error_of(lambda: s3.put_object_retention(
        Bucket="vault", Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": days(2)},
        BypassGovernanceRetention=True))
    check((code, status) == ("AccessDenied", 403), "compliance shortened %r" % code)
    check(s3.get_object_legal_hold(Bucket="vault", Key="k")["LegalHold"] == {"Status": "ON"}, "on")
    s3.put_object_legal_hold(Bucket="vault", Key="k", LegalHold={"Status": "OFF"})
    check(s3.get_object_legal_hold(Bucket="vault", Key="k")["LegalHold"] == {"Status": "OFF"}, "off")
    code, status, _ = error_of(lambda: s3.put_object_legal_hold(
        Bucket="vault", Key="k", LegalHold={"Status": "abc"}))
    check((code, status) == ("MalformedXML", 400), "bad hold %r" % code)
    code, status, _ = error_of(lambda: s3.put_object(
        Bucket="vault", Key="past", Body=b"x", ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)))
    check((code, status) == ("InvalidArgument", 400), "past date %r" % code)


def deletes_refused():
    """DeleteObject by id and DeleteObjects meet the lock; a marker is still made; bypass."""
    s3.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    g = s3.put_object(Bucket="vault", Key="g", Body=b"g", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=days(1))["VersionId"]
    c = s3.put_object(Bucket="vault", Key="c", Body=b"c", ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate=days(1))["VersionId"]
    mpu = s3.create_multipart_upload(Bucket="vault", Key="m", ObjectLockLegalHoldStatus="ON")
    part = s3.upload_part(Bucket="vault", Key="m", UploadId=mpu["UploadId"], PartNumber=1,
                          Body=b"abc")
    m = s3.complete_multipart_upload(
        Bucket="vault", Key="m", UploadId=mpu["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})["VersionId"]
    for key, v in [("g", g), ("c", c), ("m", m)]:
        code, status, message = error_of(
            lambda: s3.delete_object(Bucket="vault", Key=key, VersionId=v))
        check((code, status, message) == ("AccessDenied", 403, LOCKED), "%s: %r" % (key, code))
    marker = s3.delete_object(Bucket="vault", Key="g")
    check(marker.get("DeleteMarker") is True, "marker %r" % marker)
    r = s3.delete_objects(Bucket="vault", Delete={"Objects": [
        {"Key": "g", "VersionId": g}, {"Key": "c", "VersionId": c}]})
    errors = sorted((e["Key"], e["VersionId"], e["Code"]) for e in r.get("Errors", []))
    check(errors == [("c", c, "AccessDenied"), ("g", g, "AccessDenied")], "batch %r" % errors)
    r = s3.delete_objects(Bucket="vault", BypassGovernanceRetention=True, Delete={"Objects": [
        {"Key": "g", "VersionId": g}, {"Key": "c", "VersionId": c}]})
    check([d["Key"] for d in r.get("Deleted", [])] == ["g"], "bypassed %r" % r.get("Deleted"))
    check([e["Key"] for e in r.get("Errors", [])] == ["c"], "compliance kept %r" % r.get("Errors"))
    code, status, _ = error_of(lambda: s3.delete_object(
        Bucket="vault", Key="m", VersionId=m, BypassGovernanceRetention=True))
    check((code, status) == ("AccessDenied", 403), "hold bypassed %r" % code)


def bypass_permission():
    """The bypass header works only for a caller allowed s3:BypassGovernanceRetention."""
    s3.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    worker, steward = as_user("WORKER"), as_user("STEWARD")
    v = worker.put_object(Bucket="vault", Key="k", Body=b"k", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=days(1))["VersionId"]
    code, status, _ = error_of(lambda: worker.delete_object(
        Bucket="vault", Key="k", VersionId=v, BypassGovernanceRetention=True))
    check((code, status) == ("AccessDenied", 403), "worker bypass %r" % code)
    code, status, _ = error_of(lambda: worker.put_object_retention(
        Bucket="vault", Key="k", VersionId=v, BypassGovernanceRetention=True,
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": days(0.5)}))
    check((code, status) == ("AccessDenied", 403), "worker shortening %r" % code)
    steward.delete_object(Bucket="vault", Key="k", VersionId=v, BypassGovernanceRetention=True)
    left = s3.list_object_versions(Bucket="vault").get("Versions", [])
    check(left == [], "left %r" % left)


if __name__ == "__main__":
    globals()[sys.argv[1]]()
    print("ok " + sys.argv[1])

"""boto3 against geckos3's access control, one behaviour per case: python3 boto3_access.py CASE.

Run by tests/access_boto3_test.ts with a users file naming READER (read-only on "media") and
APP (everything on "appdata"); prints "ok CASE" when the behaviour matches S3's.
"""
import json
import os
import sys
import urllib.request

from botocore.config import Config

from gecko import check, client, error_of, user_client

CONFIG = Config(read_timeout=10, retries={"mode": "standard", "total_max_attempts": 1})
admin = client(CONFIG)


def as_user(prefix):
    """A client signing as the user whose keys are in $<prefix>_KEY / $<prefix>_SECRET."""
    return user_client(prefix, CONFIG)


def anonymous_get(path):
    """Status of an unsigned GET."""
    try:
        with urllib.request.urlopen(os.environ["S3_ENDPOINT"] + path) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def setup():
    for b in ("media", "appdata"):
        admin.create_bucket(Bucket=b)
    admin.put_object(Bucket="media", Key="song.mp3", Body=b"la la")


def case_readonly():
    setup()
    reader = as_user("READER")
    check(reader.get_object(Bucket="media", Key="song.mp3")["Body"].read() == b"la la", "get")
    check([o["Key"] for o in reader.list_objects_v2(Bucket="media")["Contents"]] == ["song.mp3"], "list")
    for what, fn in [
        ("put", lambda: reader.put_object(Bucket="media", Key="x", Body=b"x")),
        ("delete", lambda: reader.delete_object(Bucket="media", Key="song.mp3")),
        ("copy", lambda: reader.copy_object(Bucket="media", Key="c", CopySource="media/song.mp3")),
        ("tag", lambda: reader.put_object_tagging(Bucket="media", Key="song.mp3", Tagging={"TagSet": []})),
        ("policy", lambda: reader.put_bucket_policy(Bucket="media", Policy="{}")),
    ]:
        code, status, _ = error_of(fn)
        check((code, status) == ("AccessDenied", 403), "%s: %r %r" % (what, code, status))
    check(admin.head_object(Bucket="media", Key="song.mp3")["ContentLength"] == 5, "intact")


def case_scoped():
    setup()
    app = as_user("APP")
    app.put_object(Bucket="appdata", Key="a", Body=b"a")
    check(app.get_object(Bucket="appdata", Key="a")["Body"].read() == b"a", "own bucket")
    for what, fn in [
        ("get", lambda: app.get_object(Bucket="media", Key="song.mp3")),
        ("head", lambda: app.head_object(Bucket="media", Key="song.mp3")),
        ("list", lambda: app.list_objects_v2(Bucket="media")),
        ("create", lambda: app.create_bucket(Bucket="another")),
        ("acl", lambda: app.get_bucket_acl(Bucket="media")),
    ]:
        code, status, _ = error_of(fn)
        check(status == 403 and code in ("AccessDenied", "403"), "%s: %r %r" % (what, code, status))
    names = [b["Name"] for b in app.list_buckets()["Buckets"]]
    check(names == ["appdata"], "list_buckets %r" % names)


def case_policy():
    setup()
    reader = as_user("READER")
    code, status, message = error_of(lambda: admin.put_bucket_policy(Bucket="media", Policy="{"))
    check((code, status, message) == ("MalformedPolicy", 400, "This policy contains invalid Json"), "json %r" % message)
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Nope", "Resource": "arn:aws:s3:::media/*"}]}
    code, _, message = error_of(lambda: admin.put_bucket_policy(Bucket="media", Policy=json.dumps(bad)))
    check((code, message) == ("MalformedPolicy", "Policy has invalid action"), "action %r" % message)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::media/*"},
            {"Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam::000000000000:user/reader"]},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::media/song.mp3"},
        ],
    }
    admin.put_bucket_policy(Bucket="media", Policy=json.dumps(policy))
    check(json.loads(admin.get_bucket_policy(Bucket="media")["Policy"]) == policy, "round trip")
    check(admin.get_bucket_policy_status(Bucket="media")["PolicyStatus"]["IsPublic"] is True, "public")
    check(anonymous_get("/media/song.mp3") == 200, "anonymous read")
    code, status, _ = error_of(lambda: reader.get_object(Bucket="media", Key="song.mp3"))
    check((code, status) == ("AccessDenied", 403), "deny beats allow %r" % code)
    admin.delete_bucket_policy(Bucket="media")
    check(anonymous_get("/media/song.mp3") == 403, "private again")


def case_acl():
    setup()
    owner = admin.get_bucket_acl(Bucket="media")["Owner"]
    admin.put_bucket_acl(Bucket="media", AccessControlPolicy={
        "Owner": owner,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, "Permission": "READ"},
        ],
    })
    grants = admin.get_bucket_acl(Bucket="media")["Grants"]
    check(sorted((g["Grantee"]["Type"], g["Permission"]) for g in grants) == [("CanonicalUser", "FULL_CONTROL"), ("Group", "READ")], "bucket %r" % grants)
    admin.put_object_acl(Bucket="media", Key="song.mp3", ACL="public-read")
    grants = admin.get_object_acl(Bucket="media", Key="song.mp3")["Grants"]
    check(any(g["Grantee"].get("URI", "").endswith("/AllUsers") and g["Permission"] == "READ" for g in grants), "object %r" % grants)
    check(anonymous_get("/media/song.mp3") == 200, "public-read object")
    admin.put_object(Bucket="media", Key="private", Body=b"p")
    check(anonymous_get("/media/private") == 403, "private object")
    admin.put_public_access_block(Bucket="media", PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    got = admin.get_public_access_block(Bucket="media")["PublicAccessBlockConfiguration"]
    check(got == {"BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}, "pab %r" % got)
    check(anonymous_get("/media/song.mp3") == 403, "ignored public ACL")
    admin.put_bucket_ownership_controls(Bucket="appdata", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    rules = admin.get_bucket_ownership_controls(Bucket="appdata")["OwnershipControls"]["Rules"]
    check(rules == [{"ObjectOwnership": "BucketOwnerEnforced"}], "ownership %r" % rules)
    code, status, _ = error_of(lambda: admin.put_object(Bucket="appdata", Key="k", Body=b"x", ACL="public-read"))
    check((code, status) == ("AccessControlListNotSupported", 400), "enforced %r" % code)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
    print("ok " + sys.argv[1])

"""boto3 against geckos3: transfers, presigned URLs, paging, metadata. Run by tests/client_boto3_test.ts."""
import hashlib
import os
import sys
import urllib.request

from boto3.s3.transfer import TransferConfig

from gecko import check, client

work = sys.argv[1]
s3 = client()


s3.create_bucket(Bucket="py-bucket")

# 50 MiB upload_file / download_file through TransferManager (multipart, parallel).
src = os.path.join(work, "big.bin")
with open(src, "wb") as f:
    block = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB
    for i in range(50):
        f.write(bytes([i]) + block[1:])
config = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
s3.upload_file(src, "py-bucket", "big.bin", Config=config)
dst = os.path.join(work, "big.back")
s3.download_file("py-bucket", "big.bin", dst, Config=config)
digest = lambda p: hashlib.md5(open(p, "rb").read()).hexdigest()
check(digest(src) == digest(dst), "50 MiB round trip differs")
head = s3.head_object(Bucket="py-bucket", Key="big.bin")
check(head["ETag"].endswith('-7"'), "multipart ETag " + head["ETag"])
check(head["ContentLength"] == 50 * 1024 * 1024, "size")

# Presigned GET and PUT used with plain urllib.
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "py-bucket", "Key": "pre.txt"}, ExpiresIn=300)
# boto3 presigns with SigV2 by default, which signs Content-Type: send none (urllib would add one).
req = urllib.request.Request(put_url, data=b"presigned body", method="PUT", headers={"Content-Type": ""})
check(urllib.request.urlopen(req).status == 200, "presigned put")
from botocore.config import Config

v4 = client(Config(signature_version="s3v4"))
v4_url = v4.generate_presigned_url("put_object", Params={"Bucket": "py-bucket", "Key": "pre4.txt"}, ExpiresIn=300)
check("X-Amz-Signature=" in v4_url, "v4 presign")
req = urllib.request.Request(v4_url, data=b"v4 body", method="PUT")
check(urllib.request.urlopen(req).status == 200, "presigned v4 put")
v4_get = v4.generate_presigned_url("get_object", Params={"Bucket": "py-bucket", "Key": "pre4.txt"}, ExpiresIn=300)
check(urllib.request.urlopen(v4_get).read() == b"v4 body", "presigned v4 get")
get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "py-bucket", "Key": "pre.txt"}, ExpiresIn=300)
check(urllib.request.urlopen(get_url).read() == b"presigned body", "presigned get")

# Metadata and headers come back as written.
s3.put_object(
    Bucket="py-bucket",
    Key="meta.txt",
    Body=b"m",
    Metadata={"author": "alice", "Project-Name": "gecko"},
    ContentType="text/x-python",
    ContentDisposition="inline",
    ContentLanguage="en",
)
obj = s3.get_object(Bucket="py-bucket", Key="meta.txt")
check(obj["Metadata"] == {"author": "alice", "project-name": "gecko"}, "metadata %r" % obj["Metadata"])
check(obj["ContentType"] == "text/x-python", "content type")
check(obj["ContentDisposition"] == "inline" and obj["ContentLanguage"] == "en", "headers")

# Paginator over 2,500 keys.
from concurrent.futures import ThreadPoolExecutor

with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda i: s3.put_object(Bucket="py-bucket", Key="many/%05d" % i, Body=b""), range(2500)))
keys = []
pages = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="py-bucket", Prefix="many/"):
    pages += 1
    keys += [o["Key"] for o in page.get("Contents", [])]
check(keys == ["many/%05d" % i for i in range(2500)], "paginated keys")
check(pages == 3, "pages %d" % pages)
v1 = []
for page in s3.get_paginator("list_objects").paginate(Bucket="py-bucket", Prefix="many/", PaginationConfig={"PageSize": 700}):
    v1 += [o["Key"] for o in page.get("Contents", [])]
check(v1 == keys, "v1 paginated keys")
print("boto3 matrix ok")

/**
 * ETags of streamed uploads through a real server and the AWS SDK: each
 * buffer of a body is hashed off the receiving thread (src/checksum/md5.ts)
 * while the next is received, so many uploads at once, streamed PUTs and
 * in-place multipart parts must all get the MD5 of exactly their bytes.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  Upload,
} from "./deps/aws_sdk.ts";
import { assertEquals } from "./support/assert.ts";
import { pseudoRandomBytes } from "./support/bytes.ts";
import { bytesOf, md5Hex, multipartEtag, serverTest } from "./support/server.ts";

const MiB = 1024 * 1024;
const B = "md5-bucket";

serverTest(
  "MD5 off the receiving thread: streamed PUTs (eight at once) and in-place parts get the right ETags",
  async (t) => {
    await t.s3.send(new CreateBucketCommand({ Bucket: B }));
    const bodies = Array.from(
      { length: 8 },
      (_, i) => pseudoRandomBytes(3 * MiB + 12_345 * i, i + 1),
    );
    const puts = await Promise.all(
      bodies.map((Body, i) =>
        t.s3.send(new PutObjectCommand({ Bucket: B, Key: `put-${i}`, Body }))
      ),
    );
    for (let i = 0; i < bodies.length; i++) {
      const want = `"${await md5Hex(bodies[i])}"`;
      assertEquals(puts[i].ETag, want);
      const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: `put-${i}` }));
      assertEquals(got.ETag, want);
      assertEquals(await bytesOf(got.Body), bodies[i]);
    }

    // Multipart: 5 MiB parts land in place in the assembly file; the ETag is the MD5 of part MD5s.
    const data = pseudoRandomBytes(17 * MiB + 3, 42);
    const partSize = 5 * MiB;
    const done = await new Upload({
      client: t.s3,
      params: { Bucket: B, Key: "multi", Body: data },
      partSize,
      queueSize: 4,
    }).done();
    const want = multipartEtag(data, partSize);
    assertEquals(done.ETag, want);
    const head = await t.s3.send(new HeadObjectCommand({ Bucket: B, Key: "multi" }));
    assertEquals([head.ETag, head.ContentLength], [want, data.length]);
    const got = await t.s3.send(new GetObjectCommand({ Bucket: B, Key: "multi" }));
    assertEquals(await md5Hex(await bytesOf(got.Body)), await md5Hex(data));
  },
);

import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { S3Error } from "../errors.ts";
import { decodeRequestBody } from "./body.ts";

const PAYLOAD = new TextEncoder().encode("geckos3 body ".repeat(300));
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("base64");

/** The body as a request's: a byte stream, in pieces. */
function bodyOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + 1000));
      at += 1000;
    },
  });
}

/** What one way of reading gives: the bytes and verified checksums, or the S3 error code. */
async function outcome(
  headers: Record<string, string>,
  sent: Uint8Array,
  read: "readAll" | "stream",
): Promise<string> {
  const body = decodeRequestBody(bodyOf(sent), new Headers(headers), null);
  try {
    let bytes: Uint8Array;
    if (read === "readAll") {
      assert(body.readAll, "an unframed body can be read whole");
      bytes = await body.readAll();
    } else {
      bytes = await new Response(body.stream).bytes();
    }
    return `${sha256(bytes)} ${JSON.stringify(body.checksums())}`;
  } catch (e) {
    assert(e instanceof S3Error, String(e));
    return e.code;
  }
}

Deno.test("an unframed body read whole is verified exactly as when streamed", async () => {
  const other = PAYLOAD.slice(1);
  const cases: [Record<string, string>, Uint8Array, string][] = [
    [{}, PAYLOAD, `${sha256(PAYLOAD)} {}`],
    [{ "x-amz-content-sha256": sha256(PAYLOAD) }, PAYLOAD, `${sha256(PAYLOAD)} {}`],
    [{ "x-amz-content-sha256": sha256(other) }, PAYLOAD, "XAmzContentSHA256Mismatch"],
    [
      { "x-amz-checksum-sha1": sha1(PAYLOAD) },
      PAYLOAD,
      `${sha256(PAYLOAD)} ${JSON.stringify({ sha1: sha1(PAYLOAD) })}`,
    ],
    [{ "x-amz-checksum-sha1": sha1(other) }, PAYLOAD, "BadDigest"],
    [
      { "x-amz-sdk-checksum-algorithm": "SHA1" },
      PAYLOAD,
      `${sha256(PAYLOAD)} ${JSON.stringify({ sha1: sha1(PAYLOAD) })}`,
    ],
  ];
  for (const [headers, sent, expected] of cases) {
    for (const read of ["readAll", "stream"] as const) {
      assertEquals(
        await outcome(headers, sent, read),
        expected,
        `${read} ${JSON.stringify(headers)}`,
      );
    }
  }
});

Deno.test("an aws-chunked body cannot be read whole; a failing stream fails readAll", async () => {
  const chunked = decodeRequestBody(
    bodyOf(new TextEncoder().encode("0\r\n\r\n")),
    new Headers({
      "content-encoding": "aws-chunked",
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }),
    null,
  );
  assertEquals(chunked.readAll, null);
  const broken = new ReadableStream<Uint8Array>({
    pull: (c) => c.error(new Error("connection reset")),
  });
  const body = decodeRequestBody(broken, new Headers({ "content-length": "10" }), null);
  const e = await assertRejects(() => body.readAll!());
  assertEquals((e as Error).message, "connection reset");
});

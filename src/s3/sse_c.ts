/**
 * SSE-C, server-side encryption with customer-provided keys: the object's
 * bytes are stored encrypted with the key the client sends (AES-256 in CTR
 * mode, a random IV per object, so ranges decrypt on their own), only the
 * key's MD5 is kept, and every read must bring the same key. The one kind
 * of object that is not its plain bytes on disk.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { S3Error } from "../errors.ts";
import type { ObjectMeta, ObjectReader } from "../storage/mod.ts";

/** A customer key from a request's headers. */
export interface CustomerKey {
  /** The 32-byte key. */
  key: Uint8Array;
  /** Its MD5, base64, as the headers name it. */
  md5: string;
}

const REQUEST = "x-amz-server-side-encryption-customer-";
const COPY_SOURCE = "x-amz-copy-source-server-side-encryption-customer-";

/** The customer key a request sends for its object (or, with `copySource`, for the copy source). */
export function customerKeyOf(headers: Headers, copySource = false): CustomerKey | null {
  const prefix = copySource ? COPY_SOURCE : REQUEST;
  const algorithm = headers.get(prefix + "algorithm");
  const keyText = headers.get(prefix + "key");
  const md5 = headers.get(prefix + "key-md5");
  if (algorithm === null && keyText === null && md5 === null) return null;
  if (algorithm !== "AES256") {
    throw new S3Error(
      "InvalidEncryptionAlgorithmError",
      "The encryption request you specified is not valid. The valid value is AES256.",
    );
  }
  const key = keyText === null ? null : Buffer.from(keyText, "base64");
  if (!key || key.byteLength !== 32) {
    throw new S3Error("InvalidArgument", "The secret key was invalid for the specified algorithm.");
  }
  const actual = createHash("md5").update(key).digest("base64");
  if (md5 === null || md5 !== actual) {
    throw new S3Error(
      "InvalidArgument",
      "The calculated MD5 hash of the key did not match the hash that was provided.",
    );
  }
  return { key: new Uint8Array(key), md5 };
}

/** The response headers that confirm SSE-C. */
export function sseCHeaders(keyMd5: string): Record<string, string> {
  return {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key-md5": keyMd5,
  };
}

/**
 * The key a read of `meta` must use: null for an object stored plain (and
 * then no key may be sent); S3's errors for a missing or wrong key.
 */
export function keyForRead(meta: ObjectMeta, given: CustomerKey | null): CustomerKey | null {
  if (!meta.ssec) {
    if (given) {
      throw new S3Error(
        "InvalidRequest",
        "The encryption parameters are not applicable to this object.",
      );
    }
    return null;
  }
  if (!given) {
    throw new S3Error(
      "InvalidRequest",
      "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
    );
  }
  if (given.md5 !== meta.ssec.keyMd5) throw new S3Error("AccessDenied");
  return given;
}

/** A new object's encryption: a fresh IV, and what the object's metadata keeps of the key. */
export function newEncryption(
  key: CustomerKey,
): { iv: Uint8Array; stored: { keyMd5: string; iv: string } } {
  const iv = new Uint8Array(randomBytes(16));
  return { iv, stored: { keyMd5: key.md5, iv: Buffer.from(iv).toString("base64") } };
}

/**
 * `body` encrypted on its way to the store; `plainMd5()` is the MD5 of the
 * plain bytes once all have passed (Content-MD5 names those, not the stored ones).
 */
export function encrypting(
  body: ReadableStream<Uint8Array> | Uint8Array | null,
  key: CustomerKey,
  iv: Uint8Array,
): { body: ReadableStream<Uint8Array> | Uint8Array; plainMd5: () => Uint8Array } {
  const cipher = createCipheriv("aes-256-ctr", key.key, iv);
  const md5 = createHash("md5");
  let digest: Uint8Array | null = null;
  const plainMd5 = () => (digest ??= new Uint8Array(md5.digest()));
  if (body === null || body instanceof Uint8Array) {
    const bytes = body ?? new Uint8Array(0);
    md5.update(bytes);
    return {
      body: new Uint8Array(Buffer.concat([cipher.update(bytes), cipher.final()])),
      plainMd5,
    };
  }
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        md5.update(chunk);
        controller.enqueue(new Uint8Array(cipher.update(chunk)));
      },
    }),
  );
  return { body: stream, plainMd5 };
}

/** `length` plain bytes of an encrypted object from `start`: the stored bytes decrypted from their block. */
export function decrypted(
  object: ObjectReader,
  key: CustomerKey,
  range: { start: number; length: number },
): ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> {
  const iv = Buffer.from(object.meta.ssec!.iv, "base64");
  const block = Math.floor(range.start / 16);
  const skip = range.start - block * 16;
  const decipher = createDecipheriv("aes-256-ctr", key.key, counterAt(iv, block));
  const body = object.body(block * 16, range.length + skip);
  if (body instanceof Uint8Array) {
    return new Uint8Array(decipher.update(body)).slice(skip);
  }
  let toSkip = skip;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        let plain = new Uint8Array(decipher.update(chunk));
        if (toSkip > 0) {
          const n = Math.min(toSkip, plain.byteLength);
          plain = plain.subarray(n);
          toSkip -= n;
        }
        if (plain.byteLength > 0) controller.enqueue(plain);
      },
    }),
  );
}

/** The CTR counter block `blocks` blocks after `iv` (a 128-bit big-endian count). */
function counterAt(iv: Uint8Array, blocks: number): Uint8Array {
  let n = BigInt("0x" + Buffer.from(iv).toString("hex")) + BigInt(blocks);
  n &= (1n << 128n) - 1n;
  return new Uint8Array(Buffer.from(n.toString(16).padStart(32, "0"), "hex"));
}

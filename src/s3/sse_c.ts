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
import type { ObjectAttributes, ObjectMeta, ObjectReader } from "../storage/mod.ts";

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
export function keyForRead(
  meta: Pick<ObjectMeta, "ssec">,
  given: CustomerKey | null,
): CustomerKey | null {
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

/**
 * A write's bytes and attributes as stored: encrypted, with the key's MD5
 * and the IV recorded, when the request sends a customer key; as they are
 * otherwise. `plainMd5` (after the bytes have passed) is what Content-MD5
 * names: the MD5 of the plain bytes.
 */
export function sealForWrite(
  headers: Headers,
  payload: ReadableStream<Uint8Array> | Uint8Array | null,
  attributes: ObjectAttributes,
): {
  payload: ReadableStream<Uint8Array> | Uint8Array | null;
  attributes: ObjectAttributes;
  plainMd5: (() => Uint8Array) | null;
} {
  const customer = customerKeyOf(headers);
  if (!customer) return { payload, attributes, plainMd5: null };
  const { iv, stored } = newEncryption(customer);
  const sealed = encrypting(payload, customer, iv);
  return {
    payload: sealed.body,
    attributes: { ...attributes, ssec: stored },
    plainMd5: sealed.plainMd5,
  };
}

/** The IV of part `partNumber` of a multipart upload encrypted with the base IV `base`. */
export function partIv(base: string, partNumber: number): Uint8Array {
  const h = createHash("sha256").update(Buffer.from(base, "base64")).update(String(partNumber));
  return new Uint8Array(h.digest()).slice(0, 16);
}

/** The stretches of an object encrypted on their own: its parts (multipart), or the whole. */
function segmentsOf(meta: ObjectMeta): { offset: number; size: number; iv: Uint8Array }[] {
  const ssec = meta.ssec!;
  if (!ssec.parts) {
    return [{ offset: 0, size: meta.size, iv: new Uint8Array(Buffer.from(ssec.iv, "base64")) }];
  }
  let offset = 0;
  return ssec.parts.map((n, i) => {
    const size = meta.partInfo?.[i]?.size ?? 0;
    const segment = { offset, size, iv: partIv(ssec.iv, n) };
    offset += size;
    return segment;
  });
}

/**
 * `length` plain bytes of an encrypted object from `start`: the stored bytes
 * of that range, each decrypted from its own place in its part's key stream.
 */
export function decrypted(
  object: ObjectReader,
  key: CustomerKey,
  range: { start: number; length: number },
): ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> {
  const segments = segmentsOf(object.meta);
  let pos = range.start;
  let segment = -1;
  let decipher: ReturnType<typeof createDecipheriv> | null = null;
  const startAt = (p: number) => {
    segment = segments.findIndex((s) => p >= s.offset && p < s.offset + s.size);
    const s = segments[segment];
    const local = p - s.offset;
    const d = createDecipheriv("aes-256-ctr", key.key, counterAt(s.iv, Math.floor(local / 16)));
    // Advances the key stream to the byte within its block.
    if (local % 16 > 0) d.update(new Uint8Array(local % 16));
    return d;
  };
  const decrypt = (chunk: Uint8Array): Uint8Array<ArrayBuffer> => {
    const out: Uint8Array[] = [];
    for (let off = 0; off < chunk.byteLength;) {
      const current = segments[segment];
      if (!decipher || pos >= current.offset + current.size) decipher = startAt(pos);
      const end = segments[segment].offset + segments[segment].size;
      const n = Math.min(chunk.byteLength - off, end - pos);
      out.push(decipher.update(chunk.subarray(off, off + n)));
      off += n;
      pos += n;
    }
    return new Uint8Array(Buffer.concat(out));
  };
  const body = object.body(range.start, range.length);
  if (body instanceof Uint8Array) return decrypt(body);
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => controller.enqueue(decrypt(chunk)),
    }),
  );
}

/** The CTR counter block `blocks` blocks after `iv` (a 128-bit big-endian count). */
function counterAt(iv: Uint8Array, blocks: number): Uint8Array {
  let n = BigInt("0x" + Buffer.from(iv).toString("hex")) + BigInt(blocks);
  n &= (1n << 128n) - 1n;
  return new Uint8Array(Buffer.from(n.toString(16).padStart(32, "0"), "hex"));
}

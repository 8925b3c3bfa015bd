/**
 * The request body as operations see it: aws-chunked framing removed, and
 * every integrity claim the client made (x-amz-content-sha256, flexible
 * checksums in headers or trailers, chunk signatures) verified while it
 * streams. A failed check errors the stream before its end, so nothing is
 * ever committed from a body that did not verify.
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { S3Error } from "../errors.ts";
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  createChecksum,
  isValidChecksumValue,
  parseAlgorithm,
  toBase64,
} from "../checksum/mod.ts";
import { decodeAwsChunked } from "./chunked.ts";
import type { StreamingSigner } from "./verify.ts";

/** The request body as the operation sees it: decoded and verified while it streams. */
export interface DecodedBody {
  /** The decoded payload (aws-chunked framing removed); errors with an S3Error on any mismatch. Null for no body. */
  stream: ReadableStream<Uint8Array> | null;
  /** Decoded payload length when known in advance (Content-Length or x-amz-decoded-content-length). */
  length: number | null;
  /** The 16-byte MD5 the client sent in Content-MD5, to compare with the stored bytes' MD5. */
  contentMd5: Uint8Array | null;
  /**
   * After `stream` has been read to its end: the flexible checksums that were
   * sent (or asked for) and verified, by algorithm, as base64 values.
   */
  checksums(): Record<string, string>;
  /**
   * For a body without aws-chunked framing: reads the whole payload into
   * memory in one step and verifies it, as reading `stream` to its end would
   * (use one or the other). Null for framed bodies. Deno reads a request body
   * whole in one native call, without the stream reader's JavaScript per
   * chunk (about 20 µs less user CPU per 4 KiB PUT here, see
   * docs/performance.md), so this is for bodies whose length is known and
   * small.
   */
  readAll: (() => Promise<Uint8Array>) | null;
}

/** Reads the `x-amz-checksum-<alg>` headers, validating their form. */
function headerChecksums(headers: Headers): Map<ChecksumAlgorithm, string> {
  const found = new Map<ChecksumAlgorithm, string>();
  for (const alg of CHECKSUM_ALGORITHMS) {
    const value = headers.get(`x-amz-checksum-${alg}`);
    if (value === null) continue;
    if (!isValidChecksumValue(alg, value.trim())) {
      throw new S3Error("InvalidRequest", `Value for x-amz-checksum-${alg} header is invalid.`);
    }
    found.set(alg, value.trim());
  }
  return found;
}

/** Parses Content-MD5: base64 of 16 bytes, else InvalidDigest. */
function parseContentMd5(headers: Headers): Uint8Array | null {
  const value = headers.get("content-md5");
  if (value === null) return null;
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value.trim())
    ? Buffer.from(value.trim(), "base64")
    : null;
  if (!bytes || bytes.byteLength !== 16) throw new S3Error("InvalidDigest");
  return new Uint8Array(bytes);
}

function parseLength(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

/**
 * Wraps a raw request body according to its payload mode. `signer` is set
 * when chunk signatures must be verified (signed streaming mode, auth on).
 */
export function decodeRequestBody(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  signer: StreamingSigner | null,
): DecodedBody {
  const mode = headers.get("x-amz-content-sha256") ?? "";
  // aws-chunked framing comes with a STREAMING-* payload mode, or with the decoded length beside
  // Content-Encoding: aws-chunked. That encoding alone is a client's (boto3 passes
  // ContentEncoding through as given): the body is then plain, as S3 takes it.
  const chunked = mode.startsWith("STREAMING-") ||
    (/aws-chunked/i.test(headers.get("content-encoding") ?? "") &&
      headers.has("x-amz-decoded-content-length"));
  if (mode.includes("ECDSA")) {
    throw new S3Error(
      "NotImplemented",
      "SigV4a (ECDSA) streaming signatures are not supported; use SigV4.",
    );
  }
  const contentMd5 = parseContentMd5(headers);
  const sent = headerChecksums(headers);
  const trailerAlgs = (headers.get("x-amz-trailer") ?? "").split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.startsWith("x-amz-checksum-"))
    .map((t) => {
      const alg = parseAlgorithm(t.slice("x-amz-checksum-".length));
      if (!alg) {
        throw new S3Error("InvalidRequest", `The trailer ${t} is not a supported checksum.`);
      }
      return alg;
    });
  if (sent.size + trailerAlgs.length > 1) {
    throw new S3Error(
      "InvalidRequest",
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  const algorithms = new Set<ChecksumAlgorithm>([...sent.keys(), ...trailerAlgs]);
  const asked = headers.get("x-amz-sdk-checksum-algorithm") ??
    headers.get("x-amz-checksum-algorithm");
  if (asked !== null) {
    const alg = parseAlgorithm(asked);
    if (!alg) throw new S3Error("InvalidRequest", "Checksum algorithm provided is unsupported.");
    if (algorithms.size === 0) algorithms.add(alg);
  }
  const payloadSha = /^[0-9a-f]{64}$/i.test(mode) ? mode.toLowerCase() : null;
  const length = parseLength(
    headers.get(chunked ? "x-amz-decoded-content-length" : "content-length"),
  );

  if (!chunked && algorithms.size === 0 && payloadSha === null) {
    return {
      stream: body,
      length,
      contentMd5,
      checksums: () => ({}),
      readAll: () => readAll(body),
    };
  }

  const verified: Record<string, string> = {};
  /** Hashes the payload as it passes, then checks it against every claim the client made. */
  async function payloadCheck() {
    const hashers = await Promise.all(
      [...algorithms].map(async (alg) => ({ alg, h: await createChecksum(alg) })),
    );
    const sha = payloadSha !== null ? createHash("sha256") : null;
    let total = 0;
    return {
      update(piece: Uint8Array): void {
        total += piece.byteLength;
        sha?.update(piece);
        for (const { h } of hashers) h.update(piece);
      },
      /** Throws the S3 error of the first claim the payload fails. */
      finish(trailers: Map<string, string>): void {
        if (chunked && length !== null && total !== length) {
          throw new S3Error(
            "IncompleteBody",
            "The decoded body length does not match x-amz-decoded-content-length.",
          );
        }
        if (sha && sha.digest("hex") !== payloadSha) {
          throw new S3Error("XAmzContentSHA256Mismatch");
        }
        for (const { alg, h } of hashers) {
          const computed = toBase64(h.digest());
          const claimed = sent.get(alg) ?? trailers.get(`x-amz-checksum-${alg}`);
          if (claimed === undefined && trailerAlgs.includes(alg)) {
            throw new S3Error(
              "InvalidRequest",
              `The x-amz-checksum-${alg} trailer was announced but not sent.`,
            );
          }
          if (claimed !== undefined && claimed !== computed) {
            throw new S3Error(
              "BadDigest",
              `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`,
            );
          }
          verified[alg] = computed;
        }
      },
    };
  }
  async function* decode(): AsyncGenerator<Uint8Array> {
    const check = await payloadCheck();
    let trailers = new Map<string, string>();
    const raw = body ?? new Blob([]).stream();
    const source = chunked
      ? decodeAwsChunked(raw, { signer, onTrailers: (t) => (trailers = t) })
      : raw;
    for await (const piece of source) {
      check.update(piece);
      yield piece;
    }
    check.finish(trailers);
  }
  return {
    stream: ReadableStream.from(decode()),
    length,
    contentMd5,
    checksums: () => ({ ...verified }),
    readAll: chunked ? null : async () => {
      const check = await payloadCheck();
      const bytes = await readAll(body);
      check.update(bytes);
      check.finish(new Map());
      return bytes;
    },
  };
}

/**
 * A request body read whole. Through a Response, Deno reads a body that is
 * still its request's own stream in one native call.
 */
async function readAll(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  return body ? await new Response(body).bytes() : new Uint8Array(0);
}

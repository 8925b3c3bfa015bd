/**
 * Decoder of `Content-Encoding: aws-chunked` bodies: strips the chunk framing
 * while it streams, verifies each chunk's signature (signed modes), and
 * collects the trailing headers (`x-amz-checksum-*`, `x-amz-trailer-signature`).
 */
import { createHash } from "node:crypto";
import { S3Error } from "../errors.ts";
import { EMPTY_SHA256, hmacHex, sha256Hex, signaturesEqual } from "./sigv4.ts";
import type { StreamingSigner } from "./verify.ts";

const MAX_LINE = 4096;

/** Options of one decode. */
export interface ChunkedOptions {
  /** Verifies chunk and trailer signatures when set (signed payload modes with auth on). */
  signer: StreamingSigner | null;
  /** Called once with the trailing headers (lower-case names) when the body ends. */
  onTrailers(trailers: Map<string, string>): void;
}

/** Pulls bytes from a stream with lookahead for line parsing. */
class ByteSource {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Reads more into the buffer; false at end of stream. */
  async #more(): Promise<boolean> {
    if (this.#done) return false;
    const { value, done } = await this.#reader.read();
    if (done) {
      this.#done = true;
      return false;
    }
    if (this.#buf.byteLength === 0) this.#buf = value;
    else {
      const joined = new Uint8Array(this.#buf.byteLength + value.byteLength);
      joined.set(this.#buf);
      joined.set(value, this.#buf.byteLength);
      this.#buf = joined;
    }
    return true;
  }

  /** Reads one CRLF-terminated line (without the CRLF); null at a clean end of stream. */
  async line(): Promise<string | null> {
    let scanned = 0;
    for (;;) {
      const b = this.#buf;
      for (let i = Math.max(scanned, 1); i < b.byteLength; i++) {
        if (b[i] === 10 && b[i - 1] === 13) {
          const text = new TextDecoder().decode(b.subarray(0, i - 1));
          this.#buf = b.subarray(i + 1);
          return text;
        }
      }
      scanned = b.byteLength;
      if (scanned > MAX_LINE) throw malformed("a chunk header line is too long");
      if (!(await this.#more())) {
        if (this.#buf.byteLength === 0) return null;
        throw incomplete();
      }
    }
  }

  /** Yields exactly `n` bytes, in pieces as they arrive. */
  async *exactly(n: number): AsyncGenerator<Uint8Array> {
    while (n > 0) {
      if (this.#buf.byteLength === 0 && !(await this.#more())) throw incomplete();
      const take = Math.min(n, this.#buf.byteLength);
      const piece = this.#buf.subarray(0, take);
      this.#buf = this.#buf.subarray(take);
      n -= take;
      yield piece;
    }
  }

  /** Consumes an expected CRLF. */
  async crlf(): Promise<void> {
    const got: number[] = [];
    for await (const piece of this.exactly(2)) got.push(...piece);
    if (got[0] !== 13 || got[1] !== 10) throw malformed("a chunk does not end in CRLF");
  }

  /** Releases the underlying stream. */
  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }
}

function malformed(why: string): S3Error {
  return new S3Error("InvalidRequest", `Malformed aws-chunked body: ${why}.`);
}

function incomplete(): S3Error {
  return new S3Error(
    "IncompleteBody",
    "The request body ended before the aws-chunked encoding was complete.",
  );
}

function chunkSignatureMismatch(): S3Error {
  return new S3Error(
    "SignatureDoesNotMatch",
    "The chunk signature does not match the signature calculated for it.",
  );
}

/** Decodes an aws-chunked body into its payload, verifying as it goes. */
export async function* decodeAwsChunked(
  body: ReadableStream<Uint8Array>,
  opts: ChunkedOptions,
): AsyncGenerator<Uint8Array> {
  const src = new ByteSource(body);
  const signer = opts.signer;
  let previous = signer?.seed ?? "";
  try {
    for (;;) {
      const header = await src.line();
      if (header === null) throw incomplete();
      const [sizeText, ...extensions] = header.split(";");
      if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText.trim())) {
        throw malformed(`bad chunk size "${sizeText.slice(0, 32)}"`);
      }
      const size = parseInt(sizeText.trim(), 16);
      const sigExt = extensions.find((e) => e.trim().startsWith("chunk-signature="));
      const chunkSig = sigExt?.trim().slice("chunk-signature=".length) ?? null;
      if (signer && chunkSig === null) throw malformed("a chunk has no chunk-signature");
      const hash = signer ? createHash("sha256") : null;
      for await (const piece of src.exactly(size)) {
        hash?.update(piece);
        yield piece;
      }
      if (signer) {
        const toSign =
          `AWS4-HMAC-SHA256-PAYLOAD\n${signer.amzDate}\n${signer.scope}\n${previous}\n${EMPTY_SHA256}\n${
            hash!.digest("hex")
          }`;
        if (!signaturesEqual(hmacHex(signer.key, toSign), chunkSig!.toLowerCase())) {
          throw chunkSignatureMismatch();
        }
        previous = chunkSig!.toLowerCase();
      }
      if (size > 0) {
        await src.crlf();
        continue;
      }
      opts.onTrailers(await readTrailers(src, signer, previous));
      return;
    }
  } finally {
    src.cancel();
  }
}

/** Reads the trailer section after the last chunk, verifying its signature when signed. */
async function readTrailers(
  src: ByteSource,
  signer: StreamingSigner | null,
  previous: string,
): Promise<Map<string, string>> {
  const trailers = new Map<string, string>();
  let signedText = "";
  let trailerSig: string | null = null;
  for (let n = 0; n < 64; n++) {
    const line = await src.line();
    if (line === null || line === "") break;
    const colon = line.indexOf(":");
    if (colon < 1) throw malformed("a trailer line has no name");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature") {
      trailerSig = value;
      continue;
    }
    trailers.set(name, value);
    signedText += `${name}:${value}\n`;
  }
  if (signer && trailers.size > 0) {
    if (trailerSig === null) throw malformed("the trailer has no x-amz-trailer-signature");
    const toSign = `AWS4-HMAC-SHA256-TRAILER\n${signer.amzDate}\n${signer.scope}\n${previous}\n${
      sha256Hex(signedText)
    }`;
    if (!signaturesEqual(hmacHex(signer.key, toSign), trailerSig.toLowerCase())) {
      throw chunkSignatureMismatch();
    }
  }
  return trailers;
}

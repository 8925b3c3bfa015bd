/**
 * The `multipart/form-data` body of a browser POST upload, read as S3 reads
 * it: the fields before the `file` field, then the file as a stream with
 * bounded memory whatever its size, and whatever follows it ignored. Parsed
 * by @fastify/busboy (a maintained parser for untrusted form data).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 */
import type { Readable } from "node:stream";
import type { BusboyConstructor } from "@fastify/busboy";
import { S3Error } from "../errors.ts";

/** Most bytes of fields before the file, as S3 (MaxPostPreDataLengthExceededError). */
export const MAX_FIELDS_BYTES = 20 * 1024;

/** A form read up to its file. */
export interface PostForm {
  /** The fields before the file, by lower-case name (S3 compares field names without case). */
  fields: Map<string, string>;
  /** The file's bytes; errors with an S3Error when the body is cut short or malformed. */
  file: ReadableStream<Uint8Array>;
  /** The file part's filename (`${filename}` in the key). */
  filename: string;
  /** Resolves once the rest of the body has been read (and ignored). */
  done: Promise<void>;
}

let busboy: Promise<BusboyConstructor> | undefined;

/** The parser, loaded with the first POST (as the XML parser is). */
function loadBusboy(): Promise<BusboyConstructor> {
  busboy ??= import("@fastify/busboy").then((m) => m.Busboy);
  return busboy;
}

/**
 * Reads `body` up to the file. Rejects with InvalidArgument when there is no
 * file, MaxPostPreDataLengthExceeded when the fields before it are too
 * large, and MalformedPOSTRequest when the body is not multipart/form-data.
 */
export async function readPostForm(
  body: ReadableStream<Uint8Array>,
  contentType: string,
): Promise<PostForm> {
  const Busboy = await loadBusboy();
  let parser;
  try {
    parser = new Busboy({
      headers: { "content-type": contentType },
      // Only the part named `file` is the upload; any other is a field, however it is sent.
      isPartAFile: (name) => name?.toLowerCase() === "file",
      limits: {
        fieldNameSize: 1024,
        fieldSize: MAX_FIELDS_BYTES,
        fields: 1000,
        parts: 1001,
        headerPairs: 100,
      },
    });
  } catch {
    throw malformed();
  }
  const fields = new Map<string, string>();
  let fieldBytes = 0;
  let file: FileBridge | null = null;
  const { promise: found, resolve, reject } = Promise.withResolvers<PostForm>();
  const fail = (e: unknown) => {
    const err = e instanceof S3Error ? e : malformed();
    reject(err);
    file?.fail(err);
  };
  parser.on("field", (name, value, _nameCut, valueCut) => {
    if (file) return; // after the file: ignored, as S3 does
    fieldBytes += name.length + value.length;
    if (valueCut || fieldBytes > MAX_FIELDS_BYTES) {
      return fail(
        new S3Error(
          "MaxPostPreDataLengthExceededError",
          "Your POST request fields preceding the upload file were too large.",
        ),
      );
    }
    fields.set(name.toLowerCase(), value);
  });
  parser.on("file", (_name, stream, filename) => {
    if (file) return void stream.resume();
    file = new FileBridge(stream);
    resolve({ fields, file: file.stream, filename: filename ?? "", done });
  });
  parser.on("error", fail);
  parser.on("finish", () => {
    if (!file) {
      fail(
        new S3Error("InvalidArgument", "POST requires exactly one file upload per request.", {
          extra: { ArgumentName: "file", ArgumentValue: "0" },
        }),
      );
    }
  });
  const done = pump(body, parser).catch((e) => fail(e instanceof S3Error ? e : incomplete()));
  return await found;
}

/** Feeds the request body to the parser, waiting whenever it is full (bounded memory). */
async function pump(
  body: ReadableStream<Uint8Array>,
  parser: import("node:stream").Writable,
): Promise<void> {
  for await (const chunk of body) {
    if (!parser.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const drained = () => {
          parser.off("error", failed);
          resolve();
        };
        const failed = (e: unknown) => {
          parser.off("drain", drained);
          reject(e);
        };
        parser.once("drain", drained);
        parser.once("error", failed);
      });
    }
  }
  await new Promise<void>((resolve) => parser.end(resolve));
}

/**
 * The file part as a web stream: the parser pauses while the stream's
 * reader is behind, and a body that ends before the part does errors the
 * stream (the parser errors the part, or the body's read fails), so a store
 * reading it never takes a cut-short file for whole.
 */
class FileBridge {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;

  constructor(private part: Readable) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
        part.on("data", (chunk: Uint8Array) => {
          if (this.#closed) return;
          c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((c.desiredSize ?? 0) <= 0) part.pause();
        });
        part.on("end", () => {
          if (this.#closed) return;
          this.#closed = true;
          c.close();
        });
        part.on("error", () => this.fail(incomplete()));
      },
      pull: () => void part.resume(),
      cancel: () => {
        this.#closed = true;
        part.resume(); // read the rest and drop it, so the parser goes on
      },
    }, { highWaterMark: 8 });
  }

  /** Errors the stream (a cut-short or malformed body). */
  fail(e: S3Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller.error(e);
  }
}

function malformed(): S3Error {
  return new S3Error(
    "MalformedPOSTRequest",
    "The body of your POST request is not well-formed multipart/form-data.",
  );
}

function incomplete(): S3Error {
  return new S3Error("IncompleteBody");
}

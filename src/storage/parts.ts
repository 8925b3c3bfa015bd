/**
 * Storing a part: in place in the upload's assembly file when it fits the
 * layout and its range is free (see staging.ts), else as a file of its own.
 */
import { S3Error } from "../errors.ts";
import type { PartCheck } from "./interface.ts";
import { ASSEMBLY, partRecord, type Staging } from "./staging.ts";
import { SEP } from "./paths.ts";
import type { PartInfo } from "./types.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { bodyReader, writeBody } from "./writer.ts";
import { md5Of, type TempFile } from "./temp.ts";
import type { EtagHashName } from "../checksum/etag_hash.ts";

/** Parts are written in place only below this offset (sparse files have size limits too). */
const MAX_ASSEMBLY_BYTES = 2 ** 40;

/** A part on its way into an upload's directory. */
export interface IncomingPart {
  /** The upload's (unclaimed) directory. */
  dir: string;
  partNumber: number;
  body: ReadableStream<Uint8Array> | Uint8Array | null;
  length: number | null;
  check: PartCheck;
  /** The part's MD5 is needed (a Content-MD5 to check): its ETag is then that MD5. */
  needMd5?: boolean;
}

/** The hash of a part's ETag: the store's (-etag), or MD5 when a Content-MD5 asks for it. */
function hashFor(staging: Staging, part: IncomingPart): EtagHashName {
  return part.needMd5 ? "md5" : staging.temp.etagHash;
}

/** Stores a part, in place when it can go there, else through a temp file (removed whatever happens). */
export async function storePart(staging: Staging, part: IncomingPart): Promise<PartInfo> {
  const body = part.body instanceof Uint8Array ? bytesStream(part.body) : part.body;
  const placed = await putPartInPlace(staging, { ...part, body });
  if (placed) return placed;
  const tmp = await staging.temp.write(body, hashFor(staging, part));
  try {
    const checksums = part.check({ size: tmp.size, md5: md5Of(tmp) });
    return await putPartFile(staging, part.dir, part.partNumber, tmp, checksums);
  } finally {
    await removeQuietly(tmp.path);
  }
}

/** Stores a finished temp file as part `n`, replacing an earlier one. */
async function putPartFile(
  staging: Staging,
  dir: string,
  partNumber: number,
  tmp: TempFile,
  checksums: Record<string, string> | undefined,
): Promise<PartInfo> {
  const file = `${partNumber}-${crypto.randomUUID()}`;
  const part = partRecord(partNumber, tmp, new Date(tmp.identity.mtimeMs), { file }, checksums);
  try {
    await Deno.rename(tmp.path, dir + SEP + file);
    await staging.record(dir, part);
  } catch (e) {
    await removeQuietly(dir + SEP + file);
    if (isNotFound(e)) throw new S3Error("NoSuchUpload"); // aborted or completed meanwhile
    throw e;
  }
  return part;
}

/**
 * Stores part `n` in place in the upload's assembly file when it fits the
 * layout and its range is free: the body (of the given decoded length) is
 * streamed there and checked before the part is recorded. Returns null,
 * having read nothing of the body, when the part must go to a file of its own.
 */
async function putPartInPlace(
  staging: Staging,
  part: IncomingPart & { body: ReadableStream<Uint8Array> | null },
): Promise<PartInfo | null> {
  const { dir, body, length, partNumber: n } = part;
  if (body === null || length === null || length === 0) return null;
  const partSize = await staging.partSize(dir, length);
  const offset = (n - 1) * partSize;
  if (length > partSize || offset + length > MAX_ASSEMBLY_BYTES) return null;
  const marker = dir + SEP + `${n}.range`;
  try {
    await Deno.writeTextFile(marker, "", { createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return null; // taken by another version
    if (isNotFound(e)) throw new S3Error("NoSuchUpload");
    throw e;
  }
  // A recorded in-place version owns this range even if its marker was lost (power loss).
  if ((await staging.readPart(dir, n))?.offset !== undefined) return null;
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(dir + SEP + ASSEMBLY, { write: true, create: true });
    await file.seek(offset, Deno.SeekMode.Start);
    const { size, digest, hash } = await writeBody(
      file,
      [],
      bodyReader(body),
      hashFor(staging, part),
    );
    if (size !== length) throw new S3Error("IncompleteBody");
    if (staging.temp.fsync) await file.syncData();
    const written = { size, digest: digest!, hash };
    const checksums = part.check({ size, md5: md5Of(written) });
    const record = partRecord(n, written, new Date(), { offset }, checksums);
    await staging.record(dir, record);
    return record;
  } catch (e) {
    await removeQuietly(marker); // the range holds no recorded part: free again
    if (isNotFound(e)) throw new S3Error("NoSuchUpload"); // aborted or completed meanwhile
    throw e;
  } finally {
    file?.close();
  }
}

/** A stream of bytes already in memory. */
function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

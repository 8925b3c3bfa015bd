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
}

/** Stores a part, in place when it can go there, else through a temp file (removed whatever happens). */
export async function storePart(staging: Staging, part: IncomingPart): Promise<PartInfo> {
  const body = part.body instanceof Uint8Array ? bytesStream(part.body) : part.body;
  const placed = await putPartInPlace(staging, { ...part, body });
  if (placed) return placed;
  const tmp = await staging.temp.write(body, true);
  try {
    return await putPartFile(staging, part.dir, part.partNumber, tmp, part.check(tmp));
  } finally {
    await removeQuietly(tmp.path);
  }
}

/** Stores a finished temp file as part `n`, replacing an earlier one. */
async function putPartFile(
  staging: Staging,
  dir: string,
  partNumber: number,
  tmp: { path: string; size: number; md5: Uint8Array; identity: { mtimeMs: number } },
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
    const { size, md5 } = await writeBody(file, [], bodyReader(body), true);
    if (size !== length) throw new S3Error("IncompleteBody");
    if (staging.temp.fsync) await file.syncData();
    const written = { size, md5: md5! };
    const record = partRecord(n, written, new Date(), { offset }, part.check(written));
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

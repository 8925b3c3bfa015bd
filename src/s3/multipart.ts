/**
 * Multipart upload operations: create, upload part (and part copy),
 * complete, abort, list parts, list uploads. Staging lives in
 * MultipartStore; completion streams the parts into one temp file that is
 * committed like any other object (one atomic rename).
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "./errors.ts";
import { emptyResponse, isoDate, OWNER, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml } from "./xml.ts";
import { attributesFromHeaders, checksumElements, checksumHeaders } from "./object_headers.ts";
import { writePrecondition } from "./conditions.ts";
import { openCopySource, verifyContentMd5 } from "./objects.ts";
import { parseMaxKeys } from "./list.ts";
import { compareKeys } from "../storage/walk.ts";
import { keyToSegments } from "../storage/keys.ts";
import { fileStream, readFile } from "../storage/stream.ts";
import { removeQuietly } from "../storage/fsutil.ts";
import { MAX_PART_NUMBER, type PartInfo, type UploadInfo } from "../storage/multipart.ts";
import type { TempFile } from "../storage/temp.ts";
import {
  type ChecksumAlgorithm,
  createChecksum,
  parseAlgorithm,
  toBase64,
} from "../checksum/mod.ts";

/** Smallest size of every part but the last, as S3. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

function parsePartNumber(value: string | null): number {
  const n = value !== null && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error(
      "InvalidArgument",
      "Part number must be an integer between 1 and 10000, inclusive",
    );
  }
  return n;
}

function uploadIdOf(ctx: RequestContext): string {
  return ctx.query.get("uploadId") ?? "";
}

/** POST /{bucket}/{key}?uploads */
export async function createMultipartUpload(ctx: RequestContext): Promise<Response> {
  keyToSegments(ctx.key); // a key no mapping can hold fails now, not at completion
  const attributes = attributesFromHeaders(ctx.headers);
  const announced = ctx.headers.get("x-amz-checksum-algorithm");
  let checksum: { algorithm: string; type: string } | undefined;
  if (announced !== null) {
    const algorithm = parseAlgorithm(announced);
    if (!algorithm) {
      throw new S3Error("InvalidRequest", "Checksum algorithm provided is unsupported.");
    }
    const type = (ctx.headers.get("x-amz-checksum-type") ??
      (algorithm === "crc64nvme" ? "FULL_OBJECT" : "COMPOSITE"))
      .toUpperCase();
    if (type !== "COMPOSITE" && type !== "FULL_OBJECT") {
      throw new S3Error("InvalidRequest", "Invalid x-amz-checksum-type.");
    }
    if (type === "COMPOSITE" && algorithm === "crc64nvme") {
      throw new S3Error(
        "InvalidRequest",
        "The COMPOSITE checksum type cannot be used with the crc64nvme algorithm.",
      );
    }
    checksum = { algorithm, type };
  }
  const uploadId = await ctx.storage.multipart.create(ctx.bucket, ctx.key, attributes, checksum);
  return xmlResponse(
    renderXml("InitiateMultipartUploadResult", {
      Bucket: ctx.bucket,
      Key: ctx.key,
      UploadId: uploadId,
    }),
    200,
    checksum
      ? {
        "x-amz-checksum-algorithm": checksum.algorithm.toUpperCase(),
        "x-amz-checksum-type": checksum.type,
      }
      : {},
  );
}

/**
 * Stores a body as a part: in place in the upload's assembly file when it
 * can go there (its decoded length is known), else through a temp file,
 * which is consumed or removed whatever happens.
 */
async function storePart(
  ctx: RequestContext,
  partNumber: number,
  body: ReadableStream<Uint8Array> | null,
  length: number | null,
  verify: (written: { size: number; md5: Uint8Array }) => Record<string, string> | undefined,
): Promise<PartInfo> {
  const uploadId = uploadIdOf(ctx);
  await ctx.storage.multipart.info(ctx.bucket, ctx.key, uploadId);
  return await ctx.storage.multipart.receiving(ctx.bucket, uploadId, async () => {
    const placed = await ctx.storage.multipart.putPartInPlace(
      ctx.bucket,
      uploadId,
      partNumber,
      body,
      length,
      verify,
    );
    if (placed) return placed;
    const tmp = await ctx.storage.temp.write(body, true);
    try {
      const checksums = verify(tmp);
      return await ctx.storage.multipart.putPart(ctx.bucket, uploadId, partNumber, tmp, checksums);
    } finally {
      await removeQuietly(tmp.path);
    }
  });
}

/** PUT /{bucket}/{key}?partNumber&uploadId */
export async function uploadPart(ctx: RequestContext): Promise<Response> {
  const partNumber = parsePartNumber(ctx.query.get("partNumber"));
  const body = requestBody(ctx);
  const part = await storePart(ctx, partNumber, body.stream, body.length, (written) => {
    verifyContentMd5(body.contentMd5, written.md5);
    return body.checksums();
  });
  return emptyResponse(200, { etag: part.etag, ...checksumHeaders(part.checksums) });
}

/** PUT /{bucket}/{key}?partNumber&uploadId with x-amz-copy-source */
export async function uploadPartCopy(ctx: RequestContext): Promise<Response> {
  const partNumber = parsePartNumber(ctx.query.get("partNumber"));
  await ctx.storage.multipart.info(ctx.bucket, ctx.key, uploadIdOf(ctx));
  const src = openCopySource(ctx);
  let start = 0;
  let length = src.meta.size;
  const range = ctx.headers.get("x-amz-copy-source-range");
  try {
    if (range !== null) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
      if (!m || Number(m[1]) > Number(m[2])) {
        throw new S3Error(
          "InvalidArgument",
          "The x-amz-copy-source-range value must be of the form bytes=first-last.",
        );
      }
      if (Number(m[2]) >= src.meta.size) {
        throw new S3Error(
          "InvalidArgument",
          `Range specified is not valid for source object of size: ${src.meta.size}`,
        );
      }
      start = Number(m[1]);
      length = Number(m[2]) - start + 1;
    }
  } catch (e) {
    src.file.close();
    throw e;
  }
  const part = await storePart(
    ctx,
    partNumber,
    fileStream(src.file, start, length),
    length,
    () => undefined,
  );
  return xmlResponse(
    renderXml("CopyPartResult", { ETag: part.etag, LastModified: part.lastModified }),
  );
}

interface RequestedPart {
  partNumber: number;
  etag: string;
  checksums: Record<string, string>;
}

function parseCompleteBody(doc: Record<string, unknown>): RequestedPart[] {
  const parts = asArray(
    doc.Part as Record<string, unknown> | Record<string, unknown>[] | undefined,
  );
  if (parts.length === 0) {
    throw new S3Error(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema",
    );
  }
  return parts.map((p) => {
    const n = Number(String(p?.PartNumber ?? ""));
    if (!Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER || typeof p?.ETag === "undefined") {
      throw new S3Error("MalformedXML");
    }
    const checksums: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) {
      const alg = k.startsWith("Checksum") ? parseAlgorithm(k.slice("Checksum".length)) : null;
      if (alg) checksums[alg] = String(v).trim();
    }
    return {
      partNumber: n,
      etag: String(p.ETag).trim().replace(/^"|"$/g, "").replace(/^&quot;|&quot;$/g, ""),
      checksums,
    };
  });
}

/** Checks the requested parts against the stored ones, S3's way. */
function checkParts(requested: RequestedPart[], stored: Map<number, PartInfo>): PartInfo[] {
  const chosen: PartInfo[] = [];
  requested.forEach((r, i) => {
    if (i > 0 && r.partNumber <= requested[i - 1].partNumber) throw new S3Error("InvalidPartOrder");
    const part = stored.get(r.partNumber);
    if (!part || part.etag.replace(/"/g, "") !== r.etag) throw new S3Error("InvalidPart");
    for (const [alg, v] of Object.entries(r.checksums)) {
      if (part.checksums?.[alg] !== undefined && part.checksums[alg] !== v) {
        throw new S3Error("InvalidPart");
      }
    }
    chosen.push(part);
  });
  chosen.forEach((p, i) => {
    if (i < chosen.length - 1 && p.size < MIN_PART_SIZE) {
      throw new S3Error("EntityTooSmall", undefined, {
        extra: {
          ProposedSize: String(p.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
          PartNumber: String(p.partNumber),
        },
      });
    }
  });
  return chosen;
}

/** S3's multipart ETag: MD5 of the concatenated binary part MD5s, then `-N`. */
export function multipartEtag(parts: readonly PartInfo[]): string {
  const h = createHash("md5");
  for (const p of parts) h.update(Buffer.from(p.etag.replace(/"/g, ""), "hex"));
  return `"${h.digest("hex")}-${parts.length}"`;
}

/** A composite checksum: the algorithm over the concatenated part checksums, then `-N`; null if a part lacks it. */
async function compositeChecksum(
  alg: ChecksumAlgorithm,
  parts: readonly PartInfo[],
): Promise<string | null> {
  const h = await createChecksum(alg);
  for (const p of parts) {
    const v = p.checksums?.[alg];
    if (v === undefined) return null;
    h.update(new Uint8Array(Buffer.from(v, "base64")));
  }
  return `${toBase64(h.digest())}-${parts.length}`;
}

/** POST /{bucket}/{key}?uploadId */
export async function completeMultipartUpload(ctx: RequestContext): Promise<Response> {
  const requested = parseCompleteBody(
    await parseXml(await readXmlBody(requestBody(ctx).stream), "CompleteMultipartUpload"),
  );
  const claimed = await ctx.storage.multipart.claim(ctx.bucket, ctx.key, uploadIdOf(ctx));
  let parts: PartInfo[];
  try {
    parts = checkParts(requested, claimed.parts);
  } catch (e) {
    await claimed.release();
    throw e;
  }
  const info = claimed.info;
  const alg = parseAlgorithm(info.checksumAlgorithm);
  const fullObject = alg !== null && info.checksumType === "FULL_OBJECT"
    ? await createChecksum(alg)
    : null;
  let tmp: TempFile | null = null;
  try {
    // Parts written in place, in order, are the object already (a full-object checksum then
    // reads it once); otherwise they are copied, the checksum seeing the bytes on the way.
    const inPlace = await claimed.assembled(parts);
    if (inPlace && fullObject) await readFile(inPlace.path, (chunk) => fullObject.update(chunk));
    tmp = inPlace ?? await ctx.storage.temp.concat(
      parts.map((p) => claimed.partSource(p)),
      fullObject ? (chunk) => fullObject.update(chunk) : undefined,
    );
    const checksums: Record<string, string> = {};
    if (alg && fullObject) checksums[alg] = toBase64(fullObject.digest());
    else if (alg) {
      const composite = await compositeChecksum(alg, parts);
      if (composite) checksums[alg] = composite;
    }
    const claimedFull = alg ? ctx.headers.get(`x-amz-checksum-${alg}`) : null;
    if (claimedFull !== null && fullObject && claimedFull.trim() !== checksums[alg!]) {
      throw new S3Error("BadDigest");
    }
    const hasChecksum = Object.keys(checksums).length > 0;
    const meta = await ctx.storage.commit(
      ctx.bucket,
      ctx.key,
      tmp,
      {
        ...info.attributes,
        etag: multipartEtag(parts),
        parts: parts.length,
        partInfo: parts.map((p) => ({
          size: p.size,
          ...(p.checksums ? { checksums: p.checksums } : {}),
        })),
        ...(hasChecksum ? { checksums, checksumType: info.checksumType } : {}),
      },
      writePrecondition(ctx.headers) ?? undefined,
    );
    // The upload is claimed (no longer reachable by its id): its parts can go after the response.
    ctx.storage.background.run("remove completed upload", () => claimed.discard());
    return xmlResponse(
      renderXml("CompleteMultipartUploadResult", {
        Location: `/${ctx.bucket}/${ctx.key}`,
        Bucket: ctx.bucket,
        Key: ctx.key,
        ETag: meta.etag,
        ...checksumElements(hasChecksum ? checksums : undefined),
        ...(hasChecksum ? { ChecksumType: info.checksumType } : {}),
      }),
      200,
      hasChecksum ? { "x-amz-checksum-type": info.checksumType! } : {},
    );
  } catch (e) {
    await claimed.release();
    throw e;
  } finally {
    if (tmp) await removeQuietly(tmp.path);
  }
}

/** DELETE /{bucket}/{key}?uploadId */
export async function abortMultipartUpload(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  await ctx.storage.multipart.abort(ctx.bucket, ctx.key, uploadIdOf(ctx));
  return emptyResponse(204);
}

/** GET /{bucket}/{key}?uploadId */
export async function listParts(ctx: RequestContext): Promise<Response> {
  const uploadId = uploadIdOf(ctx);
  const info = await ctx.storage.multipart.info(ctx.bucket, ctx.key, uploadId);
  const maxParts = parseMaxKeys(ctx.query.get("max-parts"), "max-parts");
  const markerText = ctx.query.get("part-number-marker") ?? "0";
  if (!/^\d+$/.test(markerText)) {
    throw new S3Error("InvalidArgument", "Provided part-number-marker not an integer");
  }
  const marker = Number(markerText);
  const all = [...(await ctx.storage.multipart.parts(ctx.bucket, uploadId)).values()]
    .filter((p) => p.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  return xmlResponse(renderXml("ListPartsResult", {
    Bucket: ctx.bucket,
    Key: ctx.key,
    UploadId: uploadId,
    Initiator: { ...OWNER },
    Owner: { ...OWNER },
    StorageClass: "STANDARD",
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    ...(info.checksumAlgorithm
      ? { ChecksumAlgorithm: info.checksumAlgorithm.toUpperCase(), ChecksumType: info.checksumType }
      : {}),
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: p.lastModified,
      ETag: p.etag,
      Size: p.size,
      ...checksumElements(p.checksums),
    })),
  }));
}

/** GET /{bucket}?uploads */
export async function listMultipartUploads(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const q = ctx.query;
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const keyMarker = q.get("key-marker") ?? "";
  const idMarker = q.get("upload-id-marker") ?? "";
  const maxUploads = parseMaxKeys(q.get("max-uploads"), "max-uploads");
  const order = (a: UploadInfo, b: UploadInfo) =>
    compareKeys(a.key, b.key) || a.initiated.localeCompare(b.initiated) ||
    a.uploadId.localeCompare(b.uploadId);
  const all = (await ctx.storage.multipart.uploads(ctx.bucket)).filter((u) =>
    u.key.startsWith(prefix)
  ).sort(order);
  let start = 0;
  if (keyMarker !== "") {
    const markerUpload = idMarker
      ? all.find((u) => u.key === keyMarker && u.uploadId === idMarker)
      : undefined;
    start = all.findIndex((u) =>
      markerUpload ? order(u, markerUpload) > 0 : compareKeys(u.key, keyMarker) > 0
    );
    if (start < 0) start = all.length;
  }
  const uploads: UploadInfo[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: { key: string; id: string } | null = null;
  for (let i = start; i < all.length; i++) {
    const u = all[i];
    const cut = delimiter ? u.key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? u.key.slice(0, cut + delimiter.length) : null;
    if (common !== null && prefixes.at(-1) === common) continue;
    if (uploads.length + prefixes.length === maxUploads) {
      truncated = true;
      break;
    }
    if (common !== null) {
      prefixes.push(common);
      last = { key: common, id: "" };
    } else {
      uploads.push(u);
      last = { key: u.key, id: u.uploadId };
    }
  }
  return xmlResponse(renderXml("ListMultipartUploadsResult", {
    Bucket: ctx.bucket,
    KeyMarker: keyMarker,
    UploadIdMarker: idMarker,
    NextKeyMarker: truncated ? last?.key : undefined,
    NextUploadIdMarker: truncated ? last?.id : undefined,
    Delimiter: delimiter || undefined,
    Prefix: prefix,
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Upload: uploads.map((u) => ({
      Key: u.key,
      UploadId: u.uploadId,
      Initiator: { ...OWNER },
      Owner: { ...OWNER },
      StorageClass: "STANDARD",
      Initiated: isoDate(new Date(u.initiated)),
    })),
    CommonPrefixes: prefixes.map((p) => ({ Prefix: p })),
  }));
}

/**
 * Multipart upload operations: create, upload part (and part copy),
 * complete, abort, list parts, list uploads. Staging lives in
 * MultipartStore; completion streams the parts into one temp file that is
 * committed like any other object (one atomic rename).
 */
import { Buffer } from "node:buffer";
import { documentBody, eventOrigin, requestBody, type RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { emptyResponse, OWNER, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml } from "./xml.ts";
import { attributesFromHeaders, checksumElements, checksumHeaders } from "./object_headers.ts";
import { encryptionHeaders, withDefaultSse } from "./encryption.ts";
import { defaultRetention, withObjectLock } from "./object_lock.ts";
import {
  type CustomerKey,
  customerKeyOf,
  decrypted,
  encrypting,
  keyForRead,
  newEncryption,
  partIv,
  sseCHeaders,
} from "./sse_c.ts";
import { writePrecondition } from "./conditions.ts";
import { openCopySource, verifyContentMd5 } from "./objects.ts";
import { copySourceHeader, versionHeader } from "./versioning.ts";
import { parseMaxKeys } from "./list.ts";
import { MAX_PART_NUMBER, parsePartNumber } from "./part_number.ts";
import { bareEtag, multipartEtag, unquoteEtag } from "../checksum/etag.ts";
import { type Body, keyToSegments, type PartCheck, type PartInfo } from "../storage/mod.ts";
import {
  type Checksum,
  type ChecksumAlgorithm,
  createChecksum,
  parseAlgorithm,
  toBase64,
} from "../checksum/mod.ts";

/** The algorithms a multipart upload may have a full-object checksum of. */
const FULL_OBJECT_ALGORITHMS = new Set(["crc32", "crc32c", "crc64nvme"]);

/** Smallest size of every part but the last, as S3. */
const MIN_PART_SIZE = 5 * 1024 * 1024;

function uploadIdOf(ctx: RequestContext): string {
  return ctx.query.get("uploadId") ?? "";
}

/** POST /{bucket}/{key}?uploads */
export async function createMultipartUpload(ctx: RequestContext): Promise<Response> {
  keyToSegments(ctx.key); // a key no mapping can hold fails now, not at completion
  // The upload's own lock headers now; the bucket's default retention once it completes.
  const attributes = await withObjectLock(ctx.storage, {
    bucket: ctx.bucket,
    attributes: await withDefaultSse(ctx.storage, ctx.bucket, attributesFromHeaders(ctx.headers)),
    headers: ctx.headers,
    defaults: false,
  });
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
    // Full-object checksums exist for the CRCs (which combine across parts), composite ones for
    // every algorithm but CRC64NVME.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    if (type === "COMPOSITE" && algorithm === "crc64nvme") {
      throw new S3Error(
        "InvalidRequest",
        "The COMPOSITE checksum type cannot be used with the crc64nvme algorithm.",
      );
    }
    if (type === "FULL_OBJECT" && !FULL_OBJECT_ALGORITHMS.has(algorithm)) {
      throw new S3Error(
        "InvalidRequest",
        `The FULL_OBJECT checksum type cannot be used with the ${algorithm} algorithm.`,
      );
    }
    checksum = { algorithm, type };
  }
  // SSE-C: each part is encrypted with its own IV, derived from this one (see sse_c.ts).
  const customer = customerKeyOf(ctx.headers);
  if (customer) attributes.ssec = newEncryption(customer).stored;
  const uploadId = await ctx.storage.uploads.create(ctx.bucket, ctx.key, attributes, checksum);
  return xmlResponse(
    renderXml("InitiateMultipartUploadResult", {
      Bucket: ctx.bucket,
      Key: ctx.key,
      UploadId: uploadId,
    }),
    200,
    {
      ...(checksum
        ? {
          "x-amz-checksum-algorithm": checksum.algorithm.toUpperCase(),
          "x-amz-checksum-type": checksum.type,
        }
        : {}),
      ...(customer ? sseCHeaders(customer.md5) : {}),
    },
  );
}

/** Stores a body as part `partNumber` of the request's upload. */
function storePart(
  ctx: RequestContext,
  part: {
    partNumber: number;
    body: Body;
    length: number | null;
    check: PartCheck;
    needMd5?: boolean;
  },
): Promise<PartInfo> {
  return ctx.storage.uploads.putPart({
    bucket: ctx.bucket,
    key: ctx.key,
    uploadId: uploadIdOf(ctx),
    ...part,
  });
}

/** PUT /{bucket}/{key}?partNumber&uploadId */
export async function uploadPart(ctx: RequestContext): Promise<Response> {
  const partNumber = parsePartNumber(ctx.query.get("partNumber"));
  const sealing = await partEncryption(ctx, partNumber);
  const body = requestBody(ctx);
  const sealed = sealing ? encrypting(body.stream, sealing.key, sealing.iv) : null;
  const part = await storePart(ctx, {
    partNumber,
    body: sealed ? sealed.body : body.stream,
    length: body.length,
    needMd5: body.contentMd5 !== null,
    check: (written) => {
      verifyContentMd5(body.contentMd5, sealed ? sealed.plainMd5() : written.md5);
      return body.checksums();
    },
  });
  return emptyResponse(200, {
    etag: part.etag,
    ...checksumHeaders(part.checksums),
    ...(sealing ? sseCHeaders(sealing.key.md5) : {}),
  });
}

/**
 * The key and IV a part of an SSE-C upload is encrypted with; null for a
 * plain upload. Every part must bring the upload's key, and a plain upload
 * none, as S3 requires.
 */
async function partEncryption(
  ctx: RequestContext,
  partNumber: number,
): Promise<{ key: CustomerKey; iv: Uint8Array } | null> {
  const given = customerKeyOf(ctx.headers);
  const info = await ctx.storage.uploads.info(ctx.bucket, ctx.key, uploadIdOf(ctx));
  const ssec = info.attributes.ssec;
  if (!ssec) {
    if (given) {
      throw new S3Error(
        "InvalidRequest",
        "The encryption parameters are not applicable to this object.",
      );
    }
    return null;
  }
  if (!given || given.md5 !== ssec.keyMd5) {
    throw new S3Error(
      "InvalidRequest",
      "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.",
    );
  }
  return { key: given, iv: partIv(ssec.iv, partNumber) };
}

/** PUT /{bucket}/{key}?partNumber&uploadId with x-amz-copy-source */
export async function uploadPartCopy(ctx: RequestContext): Promise<Response> {
  const partNumber = parsePartNumber(ctx.query.get("partNumber"));
  const sealing = await partEncryption(ctx, partNumber);
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
          "InvalidRange",
          `Range specified is not valid for source object of size: ${src.meta.size}`,
        );
      }
      start = Number(m[1]);
      length = Number(m[2]) - start + 1;
    }
    const sourceKey = keyForRead(src.meta, customerKeyOf(ctx.headers, true));
    const plain = sourceKey
      ? decrypted(src.object, sourceKey, { start, length })
      : src.object.body(start, length);
    const part = await storePart(ctx, {
      partNumber,
      body: sealing ? encrypting(plain, sealing.key, sealing.iv).body : plain,
      length,
      check: () => undefined,
    });
    return xmlResponse(
      renderXml("CopyPartResult", { ETag: part.etag, LastModified: part.lastModified }),
      200,
      copySourceHeader(src.meta),
    );
  } finally {
    src.object.close();
  }
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
      etag: bareEtag(String(p.ETag)),
      checksums,
    };
  });
}

/** Checks the requested parts against the stored ones, S3's way. */
function checkParts(
  requested: RequestedPart[],
  stored: ReadonlyMap<number, PartInfo>,
): PartInfo[] {
  const chosen: PartInfo[] = [];
  requested.forEach((r, i) => {
    if (i > 0 && r.partNumber <= requested[i - 1].partNumber) throw new S3Error("InvalidPartOrder");
    const part = stored.get(r.partNumber);
    if (!part || unquoteEtag(part.etag) !== r.etag) throw new S3Error("InvalidPart");
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

/** A composite checksum: the algorithm over the concatenated part checksums, then `-N` (none if a part lacks it). */
async function compositeChecksums(
  alg: ChecksumAlgorithm,
  parts: readonly PartInfo[],
): Promise<Record<string, string>> {
  const h = await createChecksum(alg);
  for (const p of parts) {
    const v = p.checksums?.[alg];
    if (v === undefined) return {};
    h.update(new Uint8Array(Buffer.from(v, "base64")));
  }
  return { [alg]: `${toBase64(h.digest())}-${parts.length}` };
}

/** POST /{bucket}/{key}?uploadId */
export async function completeMultipartUpload(ctx: RequestContext): Promise<Response> {
  const requested = parseCompleteBody(
    await parseXml(await readXmlBody(documentBody(ctx).stream), "CompleteMultipartUpload"),
  );
  let alg: ChecksumAlgorithm | null = null;
  let fullObject: Checksum | null = null;
  let checksums: Record<string, string> = {};
  /** The object's checksum the client sent with the request, if any. */
  let claimed: string | null = null;
  const retention = await defaultRetention(ctx.storage, ctx.bucket);
  const meta = await ctx.storage.uploads.complete(
    { bucket: ctx.bucket, key: ctx.key, uploadId: uploadIdOf(ctx) },
    {
      async choose(info, stored) {
        const parts = checkParts(requested, stored);
        alg = parseAlgorithm(info.checksumAlgorithm);
        claimed = alg ? ctx.headers.get(`x-amz-checksum-${alg}`)?.trim() ?? null : null;
        if (alg && info.checksumType !== "FULL_OBJECT") {
          checksums = await compositeChecksums(alg, parts);
        }
        // A full-object checksum is computed while the parts are assembled: the upload's own
        // (FULL_OBJECT), or to check a whole-object value sent for a composite one.
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        const composite = claimed !== null && /-\d+$/.test(claimed);
        fullObject =
          alg && (info.checksumType === "FULL_OBJECT" || (claimed !== null && !composite))
            ? await createChecksum(alg)
            : null;
        const hash = fullObject;
        return { parts, observe: hash ? (chunk) => hash.update(chunk) : undefined };
      },
      attributes(info, parts) {
        const whole = alg && fullObject ? toBase64(fullObject.digest()) : null;
        if (alg && whole !== null && info.checksumType === "FULL_OBJECT") {
          checksums = { [alg]: whole };
        }
        if (alg && claimed !== null && claimed !== whole && claimed !== checksums[alg]) {
          throw new S3Error(
            "BadDigest",
            `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`,
          );
        }
        const hasChecksum = Object.keys(checksums).length > 0;
        const ssec = info.attributes.ssec;
        return {
          ...info.attributes,
          ...(retention && !info.attributes.retention ? { retention } : {}),
          ...(ssec ? { ssec: { ...ssec, parts: parts.map((p) => p.partNumber) } } : {}),
          etag: multipartEtag(parts.map((p) => p.etag)),
          parts: parts.length,
          partInfo: parts.map((p) => ({
            size: p.size,
            ...(p.checksums ? { checksums: p.checksums } : {}),
          })),
          ...(hasChecksum ? { checksums, checksumType: info.checksumType } : {}),
        };
      },
      precondition: writePrecondition(ctx.headers) ?? undefined,
      committed: ctx.notifier.created(
        eventOrigin(ctx),
        "s3:ObjectCreated:CompleteMultipartUpload",
        ctx.key,
      ),
      isRetryOf: (parts) =>
        parts.length === requested.length &&
        parts.every((p, i) =>
          p.partNumber === requested[i].partNumber && unquoteEtag(p.etag) === requested[i].etag
        ),
    },
  );
  // From the stored object: a retried completion (see Uploads.complete) answers the same.
  const hasChecksum = meta.checksums !== undefined && Object.keys(meta.checksums).length > 0;
  return xmlResponse(
    renderXml("CompleteMultipartUploadResult", {
      Location: `/${ctx.bucket}/${ctx.key}`,
      Bucket: ctx.bucket,
      Key: ctx.key,
      ETag: meta.etag,
      ...checksumElements(hasChecksum ? meta.checksums : undefined),
      ...(hasChecksum ? { ChecksumType: meta.checksumType } : {}),
    }),
    200,
    {
      ...(hasChecksum ? { "x-amz-checksum-type": meta.checksumType! } : {}),
      ...versionHeader(meta),
      ...encryptionHeaders(meta),
    },
  );
}

/** DELETE /{bucket}/{key}?uploadId */
export async function abortMultipartUpload(ctx: RequestContext): Promise<Response> {
  await ctx.storage.uploads.abort(ctx.bucket, ctx.key, uploadIdOf(ctx));
  return emptyResponse(204);
}

/** GET /{bucket}/{key}?uploadId */
export async function listParts(ctx: RequestContext): Promise<Response> {
  const uploadId = uploadIdOf(ctx);
  const info = await ctx.storage.uploads.info(ctx.bucket, ctx.key, uploadId);
  const maxParts = parseMaxKeys(ctx.query.get("max-parts"), "max-parts");
  const markerText = ctx.query.get("part-number-marker") ?? "0";
  if (!/^\d+$/.test(markerText)) {
    throw new S3Error("InvalidArgument", "Provided part-number-marker not an integer");
  }
  const marker = Number(markerText);
  const all = [...(await ctx.storage.uploads.parts(ctx.bucket, ctx.key, uploadId)).values()]
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

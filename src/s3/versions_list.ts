/** ListObjectVersions: GET /{bucket}?versions. */
import type { RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { isoDate, OWNER, xmlResponse } from "./response.ts";
import { renderXml, XmlSequence } from "./xml.ts";
import { encodingOf, parseMaxKeys } from "./list.ts";
import { checkVersionId, type VersionEntry } from "../storage/mod.ts";

/** GET /{bucket}?versions */
export async function listObjectVersions(ctx: RequestContext): Promise<Response> {
  const q = ctx.query;
  const enc = encodingOf(ctx);
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const keyMarker = q.get("key-marker") ?? "";
  const versionIdMarker = q.get("version-id-marker") ?? "";
  if (versionIdMarker !== "") {
    if (keyMarker === "") {
      throw new S3Error(
        "InvalidArgument",
        "A version-id marker cannot be specified without a key marker.",
        { extra: { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker } },
      );
    }
    checkVersionId(versionIdMarker);
  }
  const maxKeys = parseMaxKeys(q.get("max-keys"));
  const page = await ctx.storage.listVersions(ctx.bucket, {
    prefix,
    delimiter,
    keyMarker,
    versionIdMarker,
    maxKeys,
  });
  const common = (v: VersionEntry) => ({
    Key: enc(v.key),
    VersionId: v.versionId,
    IsLatest: v.isLatest,
    LastModified: isoDate(v.lastModified),
  });
  return xmlResponse(renderXml("ListVersionsResult", {
    Name: ctx.bucket,
    Prefix: enc(prefix),
    KeyMarker: enc(keyMarker),
    VersionIdMarker: versionIdMarker,
    NextKeyMarker: page.next ? enc(page.next.keyMarker) : undefined,
    NextVersionIdMarker: page.next?.versionIdMarker,
    MaxKeys: maxKeys,
    Delimiter: delimiter !== "" ? enc(delimiter) : undefined,
    EncodingType: q.get("encoding-type") ? "url" : undefined,
    IsTruncated: page.truncated,
    Versions: new XmlSequence(page.versions.map((v) =>
      v.meta
        ? ["Version", {
          ...common(v),
          ETag: v.meta.etag,
          Size: v.meta.size,
          StorageClass: "STANDARD",
          Owner: { ...OWNER },
          ...(v.meta.checksums
            ? {
              ChecksumAlgorithm: Object.keys(v.meta.checksums).map((a) => a.toUpperCase()),
              ChecksumType: v.meta.checksumType,
            }
            : {}),
        }]
        : ["DeleteMarker", { ...common(v), Owner: { ...OWNER } }]
    )),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
  }));
}

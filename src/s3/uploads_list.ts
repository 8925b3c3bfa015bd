/** ListMultipartUploads: the uploads in progress in a bucket, paged and rolled up as S3 does. */
import type { RequestContext } from "./context.ts";
import { isoDate, OWNER, xmlResponse } from "./response.ts";
import { renderXml } from "./xml.ts";
import { parseMaxKeys } from "./list.ts";
import { compareKeys, type UploadInfo } from "../storage/mod.ts";

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
  const all = (await ctx.storage.uploads.list(ctx.bucket)).filter((u) => u.key.startsWith(prefix))
    .sort(order);
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

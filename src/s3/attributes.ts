/** GetObjectAttributes (`GET /{bucket}/{key}?attributes`). */
import { unquoteEtag } from "../checksum/etag.ts";
import type { RequestContext } from "./context.ts";
import { S3Error } from "../errors.ts";
import { xmlResponse } from "./response.ts";
import { requestedVersion, versionHeader } from "./versioning.ts";
import { renderXml, type XmlNode } from "./xml.ts";
import { checksumElements } from "./object_headers.ts";

const KNOWN = new Set(["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]);

/** GET /{bucket}/{key}?attributes */
export function getObjectAttributes(ctx: RequestContext): Response {
  const header = ctx.headers.get("x-amz-object-attributes");
  const wanted = new Set((header ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""));
  if (wanted.size === 0) {
    throw new S3Error(
      "InvalidArgument",
      "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
    );
  }
  for (const w of wanted) {
    if (!KNOWN.has(w)) {
      throw new S3Error("InvalidArgument", `Invalid attribute name specified: ${w}`);
    }
  }
  const meta = ctx.storage.headObject(ctx.bucket, ctx.key, requestedVersion(ctx));
  const body: XmlNode = {};
  if (wanted.has("ETag")) body.ETag = unquoteEtag(meta.etag);
  if (wanted.has("Checksum") && meta.checksums && Object.keys(meta.checksums).length > 0) {
    body.Checksum = { ...checksumElements(meta.checksums), ChecksumType: meta.checksumType };
  }
  if (wanted.has("ObjectParts") && meta.parts) {
    const maxParts = Math.min(Number(ctx.headers.get("x-amz-max-parts") ?? 1000) || 1000, 1000);
    const marker = Number(ctx.headers.get("x-amz-part-number-marker") ?? 0) || 0;
    const info = meta.partInfo ?? [];
    const page = info.map((p, i) => ({ n: i + 1, p })).filter((x) => x.n > marker).slice(
      0,
      maxParts,
    );
    const last = page.at(-1)?.n ?? marker;
    body.ObjectParts = {
      PartsCount: meta.parts,
      PartNumberMarker: marker,
      NextPartNumberMarker: last,
      MaxParts: maxParts,
      IsTruncated: last < info.length,
      Part: page.map(({ n, p }) => ({
        ...checksumElements(p.checksums),
        PartNumber: n,
        Size: p.size,
      })),
    };
  }
  if (wanted.has("StorageClass")) body.StorageClass = "STANDARD";
  if (wanted.has("ObjectSize")) body.ObjectSize = meta.size;
  return xmlResponse(renderXml("GetObjectAttributesResponse", body), 200, {
    "last-modified": meta.lastModified.toUTCString(),
    ...versionHeader(meta),
  });
}

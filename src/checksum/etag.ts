/**
 * ETags as S3 writes them: the MD5 of the bytes in lower-case hex between
 * double quotes; for a multipart object the MD5 of the parts' binary MD5s
 * followed by `-N`. Comparisons use the bare value.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { toHex } from "./mod.ts";

/** The quoted ETag of an MD5 digest (bytes or hex). */
export function etagOf(md5: Uint8Array | string): string {
  return `"${typeof md5 === "string" ? md5 : toHex(md5)}"`;
}

/** An ETag without its surrounding double quotes. */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}

/** An ETag as a client sent it in a document, bare: trimmed, unquoted, `&quot;` quotes removed. */
export function bareEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, "").replace(/^&quot;|&quot;$/g, "");
}

/** S3's multipart ETag: MD5 of the concatenated binary part MD5s, then `-N`. */
export function multipartEtag(partEtags: readonly string[]): string {
  const h = createHash("md5");
  // A part's ETag may be an XXH3 one, `<hex>-1` (etag_hash.ts): its digest is the hex.
  for (const etag of partEtags) h.update(Buffer.from(bareEtag(etag).replace(/-\d+$/, ""), "hex"));
  return `"${h.digest("hex")}-${partEtags.length}"`;
}

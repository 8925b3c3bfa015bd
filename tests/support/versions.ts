/** Reading a bucket's versions over raw HTTP, in the order the server lists them. */

/** One version or delete marker as listed. */
export interface ListedVersion {
  key: string;
  id: string;
  latest: boolean;
  marker: boolean;
}

/**
 * Every version and delete marker of `bucket` (auth off), in document order,
 * paging `pageSize` at a time with the key and version-id markers.
 */
export async function listVersionsRaw(
  url: string,
  bucket: string,
  opts: { pageSize?: number; prefix?: string } = {},
): Promise<ListedVersion[]> {
  const out: ListedVersion[] = [];
  const base = `${url}/${bucket}?versions&max-keys=${opts.pageSize ?? 1000}` +
    (opts.prefix ? `&prefix=${encodeURIComponent(opts.prefix)}` : "");
  let markers = "";
  for (let page = 0; page < 100_000; page++) {
    const res = await fetch(base + markers);
    const xml = await res.text();
    if (res.status !== 200) throw new Error(`ListObjectVersions: ${res.status} ${xml}`);
    for (const m of xml.matchAll(/<(Version|DeleteMarker)>(.*?)<\/\1>/g)) {
      const field = (name: string) =>
        new RegExp(`<${name}>([^<]*)</${name}>`).exec(m[2])?.[1] ?? "";
      out.push({
        key: field("Key").replaceAll("&amp;", "&"),
        id: field("VersionId"),
        latest: field("IsLatest") === "true",
        marker: m[1] === "DeleteMarker",
      });
    }
    if (!xml.includes("<IsTruncated>true</IsTruncated>")) return out;
    const nk = /<NextKeyMarker>([^<]*)</.exec(xml)?.[1] ?? "";
    const nv = /<NextVersionIdMarker>([^<]*)</.exec(xml)?.[1] ?? "";
    markers = `&key-marker=${encodeURIComponent(nk)}&version-id-marker=${nv}`;
  }
  throw new Error("listing never ended");
}

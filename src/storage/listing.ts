/** A page of a bucket's listing: the ordered walk (walk.ts), then each object's metadata. */
import { requireBucket } from "./buckets.ts";
import { listedMeta } from "./reads.ts";
import type { Store } from "./store.ts";
import type { ListOptions, ListPage, ObjectMeta } from "./types.ts";
import { walkBucket } from "./walk.ts";
import { TimeSlice } from "./time_slice.ts";

/** Objects whose metadata is read at once. */
const META_CONCURRENCY = 32;

/** Reads one page: at most `maxKeys` entries after `after`, then checks for one more. */
export async function listObjects(
  store: Store,
  bucket: string,
  opts: ListOptions,
): Promise<ListPage> {
  requireBucket(store, bucket);
  const page: ListPage = { objects: [], prefixes: [], truncated: false, last: null };
  if (opts.maxKeys === 0) return page;
  const found: { key: string; segments: string[] }[] = [];
  let count = 0;
  const dir = store.layout.bucketDir(bucket);
  const slice = new TimeSlice();
  for await (const item of walkBucket(dir, { ...opts, slice }, store.walkCache)) {
    if (count === opts.maxKeys) {
      page.truncated = true;
      break;
    }
    count++;
    if (item.type === "prefix") {
      page.prefixes.push(item.prefix);
      page.last = item.prefix;
    } else {
      found.push(item);
      page.last = item.key;
    }
  }
  // Stat and read sidecars for the page, a few at a time.
  const metas: (ObjectMeta | null)[] = new Array(found.length).fill(null);
  for (let i = 0; i < found.length; i += META_CONCURRENCY) {
    await slice.pause();
    await Promise.all(
      found.slice(i, i + META_CONCURRENCY).map(async (f, j) => {
        try {
          metas[i + j] = await listedMeta(store, bucket, f.segments);
        } catch {
          metas[i + j] = null; // deleted while listing, or unreadable: left out
        }
      }),
    );
  }
  found.forEach((f, i) => {
    const meta = metas[i];
    if (meta) page.objects.push({ key: f.key, meta });
  });
  return page;
}

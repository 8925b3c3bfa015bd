/**
 * What each bucket holds: files and bytes, counted by walking its directory
 * tree, and its noncurrent versions and delete markers, by walking its
 * versions tree.
 */
import { listBuckets } from "./buckets.ts";
import { VERSIONS_ENTRY } from "./keys.ts";
import { SEP } from "./paths.ts";
import type { Store } from "./store.ts";
import type { BucketUsage } from "./types.ts";

/** Objects and bytes per bucket. */
export async function usage(store: Store): Promise<BucketUsage[]> {
  const out: BucketUsage[] = [];
  for (const b of await listBuckets(store)) {
    out.push({
      bucket: b.name,
      ...await treeUsage(store.layout.bucketDir(b.name)),
      ...await versionsUsage(store.layout.versionsBucketDir(b.name)),
    });
  }
  return out;
}

async function treeUsage(dir: string): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    try {
      for await (const e of Deno.readDir(d)) {
        const p = d + SEP + e.name;
        if (e.isDirectory) stack.push(p);
        else if (e.isFile) {
          objects++;
          try {
            bytes += (await Deno.stat(p)).size;
          } catch {
            // removed meanwhile
          }
        }
      }
    } catch {
      // removed meanwhile
    }
  }
  return { objects, bytes };
}

/** Noncurrent versions (a record and bytes), their bytes, and delete markers (a record alone). */
async function versionsUsage(
  dir: string,
): Promise<{ noncurrentVersions: number; noncurrentBytes: number; deleteMarkers: number }> {
  const found = { noncurrentVersions: 0, noncurrentBytes: 0, deleteMarkers: 0 };
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    try {
      const files = new Map<string, number>();
      const records: string[] = [];
      for await (const e of Deno.readDir(d)) {
        const p = d + SEP + e.name;
        if (e.isDirectory) stack.push(p);
        else if (!d.endsWith(SEP + VERSIONS_ENTRY)) continue;
        else if (e.name.endsWith(".json")) records.push(e.name.slice(0, -5));
        else files.set(e.name, await Deno.stat(p).then((i) => i.size, () => 0));
      }
      for (const id of records) {
        const size = files.get(id);
        if (size === undefined) found.deleteMarkers++;
        else {
          found.noncurrentVersions++;
          found.noncurrentBytes += size;
        }
      }
    } catch {
      // removed meanwhile
    }
  }
  return found;
}

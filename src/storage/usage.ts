/** What each bucket holds: files and bytes, counted by walking its directory tree. */
import { listBuckets } from "./buckets.ts";
import { SEP } from "./paths.ts";
import type { Store } from "./store.ts";
import type { BucketUsage } from "./types.ts";

/** Objects and bytes per bucket. */
export async function usage(store: Store): Promise<BucketUsage[]> {
  const out: BucketUsage[] = [];
  for (const b of await listBuckets(store)) {
    out.push({ bucket: b.name, ...await treeUsage(store.layout.bucketDir(b.name)) });
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

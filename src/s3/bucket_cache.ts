/**
 * What is derived from a bucket's configuration documents (its access
 * settings, lifecycle rules, default encryption), made once and made again
 * only when the bucket's configuration changes (Storage.configStamp).
 */
import type { Storage } from "../storage/mod.ts";

/** Most buckets one cache remembers per store. */
const MAX_BUCKETS = 4096;

interface Entry<T> {
  stamp: string;
  value: Promise<T>;
  /** The value once `value` has settled, for callers that take it at once. */
  known?: { value: T };
}

/** A value derived from each bucket's configuration, per store. */
export class BucketConfigCache<T> {
  #stores = new WeakMap<Storage, Map<string, Entry<T>>>();

  /** A cache of what `derive` makes of a bucket's configuration. */
  constructor(private derive: (storage: Storage, bucket: string) => Promise<T>) {}

  /** The bucket's value: at once when known since its configuration last changed, else a promise. */
  get(storage: Storage, bucket: string): T | Promise<T> {
    let buckets = this.#stores.get(storage);
    if (!buckets) this.#stores.set(storage, buckets = new Map());
    const stamp = storage.configStamp(bucket);
    const cached = buckets.get(bucket);
    if (cached && cached.stamp === stamp) return cached.known ? cached.known.value : cached.value;
    const entry: Entry<T> = { stamp, value: this.derive(storage, bucket) };
    entry.value.then((value) => (entry.known = { value }), () => {});
    buckets.set(bucket, entry);
    if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
    return entry.value;
  }
}

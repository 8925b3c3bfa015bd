/**
 * The lazy, ordered walk behind ListObjects: yields a bucket's keys (and,
 * with a delimiter, its common prefixes) in exactly S3's order, ascending
 * by UTF-8 bytes, starting after a given key and reading only the
 * directories the page needs.
 */
import { decodeSegment, SELF_OBJECT, VERSIONS_ENTRY } from "./keys.ts";
import { SEP } from "./paths.ts";
import { TimeSlice } from "./time_slice.ts";

/** One listing entry: an object or a rolled-up common prefix. */
export type WalkItem =
  | { type: "object"; key: string; path: string; segments: string[] }
  | { type: "prefix"; prefix: string };

/** What to walk. */
export interface WalkOptions {
  /** Only keys starting with this. */
  prefix: string;
  /** Roll keys up to the first delimiter after the prefix ("" for none). */
  delimiter: string;
  /** Exclusive lower bound: only keys and prefixes sorting after this. */
  after: string;
  /** The request's budget between pauses for other requests (a fresh one when absent). */
  slice?: TimeSlice;
}

/**
 * Compares strings by their UTF-8 bytes (code point order), which differs
 * from JavaScript's UTF-16 order for characters above U+FFFF vs U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (astral code points) sort above U+E000..U+FFFF in UTF-8.
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

interface DirItem {
  /** Encoded file name. */
  name: string;
  /** Decoded segment. */
  decoded: string;
  /** object: a file; self: the `%obj` a directory may hold; tree: a directory's contents. */
  kind: "object" | "self" | "tree";
  /** Sort key relative to the directory: decoded name, plus "/" for trees. */
  sort: string;
}

/** A directory's sorted items, valid while the directory's mtime is unchanged. */
interface CachedDir {
  mtimeMs: number;
  items: DirItem[];
}

/** Most directory items the cache holds in all (about 200 bytes each), however many directories. */
const DIR_CACHE_ITEMS = 262_144;
/** Directories modified less than this long ago are not cached: their mtime may not change again. */
const RACY_MS = 2000;
const WITNESS_LIMIT = 8192;

/**
 * Which tree a walk reads: a bucket (a key is a file, or the `%obj` file of
 * its directory) or a bucket's versions tree (a key is a directory holding
 * a `%v` directory).
 */
export type TreeKind = "objects" | "versions";

/** What the walks of one store remember between listings: sorted directories and witnesses. */
export class WalkCache {
  /** The walks of one kind of tree. */
  constructor(readonly tree: TreeKind = "objects") {}

  readonly #dirs = new Map<string, CachedDir>();
  /** Large directories being read, with the mtime they are read as of. */
  readonly #reading = new Map<string, { mtimeMs: number; items: Promise<DirItem[]> }>();
  #items = 0;
  /** For a directory known to hold an object below it: the path of one such object. */
  readonly #witnesses = new Map<string, string>();

  #uncache(dir: string): void {
    const cached = this.#dirs.get(dir);
    if (cached === undefined) return;
    this.#dirs.delete(dir);
    this.#items -= cached.items.length;
  }

  /** Caches a directory's items, evicting the least recently used beyond DIR_CACHE_ITEMS. */
  #cache(dir: string, entry: CachedDir): void {
    this.#uncache(dir);
    if (entry.items.length > DIR_CACHE_ITEMS) return;
    while (this.#items + entry.items.length > DIR_CACHE_ITEMS) {
      this.#uncache(this.#dirs.keys().next().value!);
    }
    this.#dirs.set(dir, entry);
    this.#items += entry.items.length;
  }

  /** True when `path` (an object file, or a versions directory) is a key of this tree. */
  isKey(path: string): boolean {
    return this.tree === "objects" ? isFile(path) : isDirectory(path);
  }

  /** The path of what makes directory `dir` a key of this tree (checked by isKey). */
  selfPath(dir: string): string {
    return selfPath(this.tree, dir);
  }

  /**
   * A directory's items in S3 order. Large directories are read once and
   * reused while their mtime stays the same (every create, delete or rename
   * inside changes it); directories changed in the last two seconds are always
   * re-read, because a change within the filesystem's timestamp granularity
   * may leave the mtime unchanged.
   */
  async sortedItems(dir: string, isBucketRoot: boolean, slice: TimeSlice): Promise<DirItem[]> {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(dir); // page-cache metadata: cheaper without the thread hop
    } catch {
      this.#uncache(dir);
      return []; // removed meanwhile
    }
    const mtimeMs = info.mtime?.getTime() ?? NaN;
    const cached = this.#dirs.get(dir);
    if (cached && cached.mtimeMs === mtimeMs) {
      this.#dirs.delete(dir); // most recently used last: evicted last
      this.#dirs.set(dir, cached);
      return cached.items;
    }
    const items = info.size > LARGE_DIR_BYTES
      ? await this.#readLarge(dir, { mtimeMs, isBucketRoot, slice })
      : readSortedItems(dir, isBucketRoot);
    if (items.length >= 8 && Date.now() - mtimeMs > RACY_MS) this.#cache(dir, { mtimeMs, items });
    else this.#uncache(dir);
    return items;
  }

  /**
   * A large directory read in slices; listings that want it as of the same
   * mtime while it is being read share that read (32 clients listing a
   * directory of 150,000 entries at once would otherwise read it 32 times).
   */
  #readLarge(
    dir: string,
    at: { mtimeMs: number; isBucketRoot: boolean; slice: TimeSlice },
  ): Promise<DirItem[]> {
    const reading = this.#reading.get(dir);
    if (reading && reading.mtimeMs === at.mtimeMs) return reading.items;
    const items = readSortedItemsSliced(dir, at.isBucketRoot, at.slice).finally(() => {
      if (this.#reading.get(dir)?.items === items) this.#reading.delete(dir);
    });
    this.#reading.set(dir, { mtimeMs: at.mtimeMs, items });
    return items;
  }

  /**
   * True when the directory holds at least one object anywhere below it. The
   * object found is remembered as the directory's witness: while it is still
   * a file, the answer is one `lstat` away. Searching reads directories
   * unsorted and stops at the first object, so rolling up a prefix whose
   * directories hold 10,000 keys each neither sorts nor caches them.
   */
  async containsObject(dir: string, slice: TimeSlice): Promise<boolean> {
    const known = this.#witnesses.get(dir);
    if (known !== undefined) {
      if (this.isKey(known)) return true;
      this.#witnesses.delete(dir);
    }
    const found = this.tree === "objects"
      ? await findObject(dir, slice)
      : await findVersions(dir, slice);
    if (found === null) return false;
    if (this.#witnesses.size >= WITNESS_LIMIT) {
      this.#witnesses.delete(this.#witnesses.keys().next().value!);
    }
    this.#witnesses.set(dir, found);
    return true;
  }
}

/** The path, inside directory `dir`, of what makes `dir` itself a key of this tree. */
function selfPath(tree: TreeKind, dir: string): string {
  return dir + SEP + (tree === "objects" ? SELF_OBJECT : VERSIONS_ENTRY);
}

/**
 * Directories whose listing (st_size: bytes of entries on ext4, xfs and
 * btrfs, 20 bytes an entry on tmpfs) exceeds this are read and sorted in
 * slices, with pauses for other requests: a few thousand entries.
 */
export const LARGE_DIR_BYTES = 128 * 1024;

/** Names with characters whose UTF-16 order differs from their UTF-8 order (see compareKeys). */
const NEEDS_CODE_POINT_ORDER = /[\uD800-\uFFFF]/;

/** Collects a directory's items, and whether plain string order sorts them as S3 does. */
class ItemCollector {
  readonly items: DirItem[] = [];
  #plainOrder = true;

  constructor(private readonly isBucketRoot: boolean) {}

  add(e: Deno.DirEntry): void {
    const decoded = decodeSegment(e.name);
    if (decoded === null) return; // reserved (%obj is reached through its directory) or foreign
    if (this.#plainOrder && NEEDS_CODE_POINT_ORDER.test(decoded)) this.#plainOrder = false;
    if (e.isDirectory) {
      // The directory's own object (key = its name) sorts before its contents and before
      // siblings such as "name-x"; whether it exists is checked only when reached.
      if (!this.isBucketRoot || decoded !== "") {
        this.items.push({ name: e.name, decoded, kind: "self", sort: decoded });
      }
      this.items.push({ name: e.name, decoded, kind: "tree", sort: decoded + "/" });
    } else if (e.isFile) {
      this.items.push({ name: e.name, decoded, kind: "object", sort: decoded });
    }
  }

  /** The comparison that sorts these items in S3 order: the engine's own string order when it agrees. */
  compare(): (a: DirItem, b: DirItem) => number {
    return this.#plainOrder
      ? (a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0)
      : (a, b) => compareKeys(a.sort, b.sort);
  }
}

function readSortedItems(dir: string, isBucketRoot: boolean): DirItem[] {
  const collected = new ItemCollector(isBucketRoot);
  try {
    // readDirSync: one call returns the whole directory; the async iterator costs an op per batch
    // and a thread hop, which dominated listing time.
    for (const e of Deno.readDirSync(dir)) collected.add(e);
  } catch {
    return []; // removed meanwhile, or not a directory
  }
  return collected.items.sort(collected.compare());
}

/** readSortedItems for a large directory: read in batches, sorted in slices (see TimeSlice). */
async function readSortedItemsSliced(
  dir: string,
  isBucketRoot: boolean,
  slice: TimeSlice,
): Promise<DirItem[]> {
  const collected = new ItemCollector(isBucketRoot);
  try {
    let n = 0;
    for await (const e of Deno.readDir(dir)) {
      collected.add(e);
      if ((++n & 1023) === 0) await slice.pause();
    }
  } catch {
    return []; // removed meanwhile, or not a directory
  }
  return await sortSliced(collected.items, collected.compare(), slice);
}

/** Items sorted by a merge sort that pauses between slices: runs sorted by the engine, then merged. */
async function sortSliced<T>(
  items: T[],
  compare: (a: T, b: T) => number,
  slice: TimeSlice,
): Promise<T[]> {
  const RUN = 2048;
  let runs: T[][] = [];
  for (let i = 0; i < items.length; i += RUN) {
    runs.push(items.slice(i, i + RUN).sort(compare));
    await slice.pause();
  }
  while (runs.length > 1) {
    const merged: T[][] = [];
    for (let i = 0; i < runs.length; i += 2) {
      merged.push(
        i + 1 < runs.length ? await merge(runs[i], runs[i + 1], compare, slice) : runs[i],
      );
    }
    runs = merged;
  }
  return runs[0] ?? [];
}

/** Two sorted arrays as one, pausing between slices. */
async function merge<T>(
  a: T[],
  b: T[],
  compare: (a: T, b: T) => number,
  slice: TimeSlice,
): Promise<T[]> {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    out.push(compare(a[i], b[j]) <= 0 ? a[i++] : b[j++]);
    if ((out.length & 1023) === 0) await slice.pause();
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

/** Whether `path` is a file: page-cache metadata, cheaper synchronously than through the thread pool. */
function isFile(path: string): boolean {
  try {
    return Deno.lstatSync(path).isFile;
  } catch {
    return false;
  }
}

/** Whether `path` is a directory (see isFile). */
function isDirectory(path: string): boolean {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The path of some `%v` directory below `dir` (a key with versions under the
 * prefix `dir` stands for), or null. The `%v` directly inside `dir` belongs
 * to the key `dir` names itself, not to keys below it.
 */
async function findVersions(dir: string, slice: TimeSlice): Promise<string | null> {
  await slice.pause();
  const trees: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isDirectory || decodeSegment(e.name) === null) continue;
      const tree = dir + SEP + e.name;
      if (isDirectory(tree + SEP + VERSIONS_ENTRY)) return tree + SEP + VERSIONS_ENTRY;
      trees.push(tree);
    }
  } catch {
    return null; // removed meanwhile, or not a directory
  }
  for (const tree of trees) {
    const found = await findVersions(tree, slice);
    if (found !== null) return found;
  }
  return null;
}

/** The path of some object below `dir` (files first, then subdirectories in turn), or null. */
async function findObject(dir: string, slice: TimeSlice): Promise<string | null> {
  await slice.pause();
  const trees: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && (e.name === SELF_OBJECT || decodeSegment(e.name) !== null)) {
        return dir + SEP + e.name;
      }
      if (e.isDirectory && decodeSegment(e.name) !== null) trees.push(dir + SEP + e.name);
    }
  } catch {
    return null; // removed meanwhile, or not a directory
  }
  for (const tree of trees) {
    const found = await findObject(tree, slice);
    if (found !== null) return found;
  }
  return null;
}

/**
 * The first item of a sorted directory (whose keys start with `base`) that a
 * walk bounded below by `bound` can need: every item before it sorts before
 * the bound, except a tree holding the bound, which is the item just before.
 */
function firstNeeded(items: readonly DirItem[], base: string, bound: string): number {
  if (bound === "" || compareKeys(bound, base) <= 0) return 0;
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(base + items[mid].sort, bound) < 0) lo = mid + 1;
    else hi = mid;
  }
  const before = items[lo - 1];
  return before?.kind === "tree" && bound.startsWith(base + before.sort) ? lo - 1 : lo;
}

/** Walks a bucket directory, yielding items in S3 order after `opts.after`. */
export async function* walkBucket(
  bucketDir: string,
  opts: WalkOptions,
  cache: WalkCache,
): AsyncGenerator<WalkItem> {
  const { prefix, delimiter, after } = opts;
  const slice = opts.slice ?? new TimeSlice();
  // Nothing before the larger of the two lower bounds is listed (see firstNeeded).
  const bound = compareKeys(after, prefix) > 0 ? after : prefix;
  let lastPrefix = "";

  /** The common prefix a key rolls up into, or null. */
  const rollUp = (key: string): string | null => {
    if (delimiter === "" || !key.startsWith(prefix)) return null;
    const i = key.indexOf(delimiter, prefix.length);
    return i < 0 ? null : key.slice(0, i + delimiter.length);
  };

  /** Past everything the prefix can match: the rest of a sorted directory is too. */
  const beyondPrefix = (k: string) => compareKeys(k, prefix) > 0 && !k.startsWith(prefix);

  async function* walk(dir: string, base: string, segments: string[]): AsyncGenerator<WalkItem> {
    await slice.pause();
    const items = await cache.sortedItems(dir, segments.length === 0, slice);
    for (let i = firstNeeded(items, base, bound); i < items.length; i++) {
      if ((i & 255) === 255) await slice.pause();
      const item = items[i];
      if (item.kind === "tree") {
        const tree = base + item.decoded + "/";
        if (!tree.startsWith(prefix) && !prefix.startsWith(tree)) {
          if (beyondPrefix(tree)) return;
          continue;
        }
        const path = dir + SEP + item.name;
        const rolled = tree.startsWith(prefix) ? rollUp(tree) : null;
        if (rolled !== null) {
          // Every key below shares this common prefix: emit it once, without descending.
          if (rolled === lastPrefix || compareKeys(rolled, after) <= 0) continue;
          if (!await cache.containsObject(path, slice)) continue;
          lastPrefix = rolled;
          yield { type: "prefix", prefix: rolled };
          continue;
        }
        // Skip subtrees that sort entirely before the start.
        if (compareKeys(tree, after) < 0 && !after.startsWith(tree)) continue;
        yield* walk(path, tree, [...segments, item.name]);
        continue;
      }
      const key = base + item.decoded;
      if (!key.startsWith(prefix)) {
        if (beyondPrefix(key)) return;
        continue;
      }
      const rolled = rollUp(key);
      if (rolled !== null) {
        if (rolled === lastPrefix || compareKeys(rolled, after) <= 0) continue;
      } else if (compareKeys(key, after) <= 0) continue;
      let path = dir + SEP + item.name;
      let segs = [...segments, item.name];
      if (item.kind === "self") {
        path = cache.selfPath(path);
        segs = [...segs, path.slice(path.lastIndexOf(SEP) + 1)];
        if (!cache.isKey(path)) continue;
      }
      if (rolled !== null) {
        lastPrefix = rolled;
        yield { type: "prefix", prefix: rolled };
      } else {
        yield { type: "object", key, path, segments: segs };
      }
    }
  }

  yield* walk(bucketDir, "", []);
}

/**
 * The lazy, ordered walk behind ListObjects: yields a bucket's keys (and,
 * with a delimiter, its common prefixes) in exactly S3's order, ascending
 * by UTF-8 bytes, starting after a given key and reading only the
 * directories the page needs.
 */
import { decodeSegment, SELF_OBJECT, VERSIONS_ENTRY } from "./keys.ts";
import { SEP } from "./paths.ts";

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

  /**
   * A directory's items in S3 order. Large directories are read once and
   * reused while their mtime stays the same (every create, delete or rename
   * inside changes it); directories changed in the last two seconds are always
   * re-read, because a change within the filesystem's timestamp granularity
   * may leave the mtime unchanged.
   */
  /** True when `path` (an object file, or a versions directory) is a key of this tree. */
  isKey(path: string): boolean {
    return this.tree === "objects" ? isFile(path) : isDirectory(path);
  }

  /** The path of what makes directory `dir` a key of this tree (checked by isKey). */
  selfPath(dir: string): string {
    return selfPath(this.tree, dir);
  }

  async sortedItems(dir: string, isBucketRoot: boolean): Promise<DirItem[]> {
    let mtimeMs = NaN;
    try {
      mtimeMs = (await Deno.lstat(dir)).mtime?.getTime() ?? NaN;
    } catch {
      this.#uncache(dir);
      return []; // removed meanwhile
    }
    const cached = this.#dirs.get(dir);
    if (cached && cached.mtimeMs === mtimeMs) {
      this.#dirs.delete(dir); // most recently used last: evicted last
      this.#dirs.set(dir, cached);
      return cached.items;
    }
    const items = readSortedItems(dir, isBucketRoot);
    if (items.length >= 8 && Date.now() - mtimeMs > RACY_MS) this.#cache(dir, { mtimeMs, items });
    else this.#uncache(dir);
    return items;
  }

  /**
   * True when the directory holds at least one object anywhere below it. The
   * object found is remembered as the directory's witness: while it is still
   * a file, the answer is one `lstat` away. Searching reads directories
   * unsorted and stops at the first object, so rolling up a prefix whose
   * directories hold 10,000 keys each neither sorts nor caches them.
   */
  containsObject(dir: string): boolean {
    const known = this.#witnesses.get(dir);
    if (known !== undefined) {
      if (this.isKey(known)) return true;
      this.#witnesses.delete(dir);
    }
    const found = this.tree === "objects" ? findObject(dir) : findVersions(dir);
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

function readSortedItems(dir: string, isBucketRoot: boolean): DirItem[] {
  const items: DirItem[] = [];
  try {
    // readDirSync: one call returns the whole directory; the async iterator costs an op per batch
    // and a thread hop, which dominated listing time.
    for (const e of Deno.readDirSync(dir)) {
      const decoded = decodeSegment(e.name);
      if (decoded === null) continue; // reserved (%obj is reached through its directory) or foreign
      if (e.isDirectory) {
        // The directory's own object (key = its name) sorts before its contents and before
        // siblings such as "name-x"; whether it exists is checked only when reached.
        if (!isBucketRoot || decoded !== "") {
          items.push({ name: e.name, decoded, kind: "self", sort: decoded });
        }
        items.push({ name: e.name, decoded, kind: "tree", sort: decoded + "/" });
      } else if (e.isFile) {
        items.push({ name: e.name, decoded, kind: "object", sort: decoded });
      }
    }
  } catch {
    return []; // removed meanwhile, or not a directory
  }
  return items.sort((a, b) => compareKeys(a.sort, b.sort));
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
function findVersions(dir: string): string | null {
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
    const found = findVersions(tree);
    if (found !== null) return found;
  }
  return null;
}

/** The path of some object below `dir` (files first, then subdirectories in turn), or null. */
function findObject(dir: string): string | null {
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
    const found = findObject(tree);
    if (found !== null) return found;
  }
  return null;
}

/** Walks a bucket directory, yielding items in S3 order after `opts.after`. */
export async function* walkBucket(
  bucketDir: string,
  opts: WalkOptions,
  cache: WalkCache,
): AsyncGenerator<WalkItem> {
  const { prefix, delimiter, after } = opts;
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
    for (const item of await cache.sortedItems(dir, segments.length === 0)) {
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
          if (!cache.containsObject(path)) continue;
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

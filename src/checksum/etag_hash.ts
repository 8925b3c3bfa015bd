/**
 * The hash behind the ETags geckos3 writes: MD5 (S3's, the default), or
 * with `-etag=xxh3` XXH3-128, a non-cryptographic hash several times
 * cheaper (as POSIX gateways offer for users who never read an ETag as an
 * MD5). An XXH3 ETag is written `"<32 hex>-1"`: clients take an ETag with a
 * dash for a multipart one and never check it against an MD5 of the bytes
 * (the AWS SDK for Java, for one, checks those without).
 */
import { createMd5, type Md5 } from "./md5.ts";
import { etagOf } from "./etag.ts";

/** The ETag hashes: `md5`, or `xxh3` (XXH3-128). */
export type EtagHashName = "md5" | "xxh3";

/** An incremental hash of a body, and which one it is. */
export interface EtagHasher {
  name: EtagHashName;
  /** The MD5 interface (src/checksum/md5.ts), which XXH3 follows too. */
  hash: Md5;
}

type Xxh128 = Awaited<ReturnType<typeof import("hash-wasm").createXXHash128>>;

/** How many XXH3 instances are kept ready (hash-wasm makes them asynchronously). */
const READY = 8;
let makeXxh3: (() => Promise<Xxh128>) | null = null;
const ready: Xxh128[] = [];
let refilling = false;

/** Loads what `name` needs before the first body: XXH3's WebAssembly, a few instances of it. */
export async function prepareEtagHash(name: EtagHashName): Promise<void> {
  if (name !== "xxh3" || makeXxh3) return;
  const { createXXHash128 } = await import("hash-wasm");
  makeXxh3 = () => createXXHash128();
  await refill();
}

async function refill(): Promise<void> {
  if (refilling || !makeXxh3) return;
  refilling = true;
  try {
    while (ready.length < READY) ready.push(await makeXxh3());
  } finally {
    refilling = false;
  }
}

/** XXH3-128 over hash-wasm, on this thread (it hashes faster than MD5 does off it). */
class Xxh3 implements Md5 {
  constructor(private readonly h: Xxh128) {
    h.init();
  }

  update(bytes: Uint8Array): void {
    this.h.update(bytes);
  }

  updateOffThread(bytes: Uint8Array): Promise<void> {
    this.h.update(bytes);
    return Promise.resolve();
  }

  digest(): Uint8Array {
    const out = this.h.digest("binary");
    if (ready.length < READY) ready.push(this.h);
    return out;
  }
}

/**
 * A new hash for an ETag: `name`'s, or MD5 when XXH3 is asked for but none
 * is ready (more bodies at once than instances made ahead; more are made
 * meanwhile). The hasher says which it is, and the ETag follows it.
 */
export function createEtagHash(name: EtagHashName): EtagHasher {
  if (name === "xxh3") {
    const h = ready.pop();
    // A failed refill only means MD5 for the bodies that find none ready.
    if (ready.length < READY / 2) refill().catch(() => {});
    if (h) return { name: "xxh3", hash: new Xxh3(h) };
  }
  return { name: "md5", hash: createMd5() };
}

/** The quoted ETag of a digest made by `name`'s hash. */
export function etagOfDigest(digest: Uint8Array, name: EtagHashName): string {
  return name === "md5" ? etagOf(digest) : etagOf(digest).replace(/"$/, '-1"');
}

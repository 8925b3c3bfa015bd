/**
 * MD5, the ETag of every upload. Where the system's OpenSSL (libcrypto) can
 * be loaded through FFI, its assembly MD5 is used: 736–743 MB/s on this
 * project's machine against 576–590 for `node:crypto`, and a large buffer is
 * hashed off the JavaScript thread (a nonblocking FFI call, no copy) while
 * that thread receives the next one. Elsewhere (other OS, no libcrypto, no
 * FFI permission) `node:crypto`, on this thread.
 */
import { createHash, type Hash } from "node:crypto";
import { toHex } from "./mod.ts";

/** An incremental MD5. */
export interface Md5 {
  /** Hashes `bytes` now, on this thread. */
  update(bytes: Uint8Array): void;
  /**
   * Hashes `bytes` after everything passed before, off this thread where
   * possible: leave `bytes` untouched (not written to, not transferred) until
   * the promise settles, and call nothing else on this hash meanwhile.
   */
  updateOffThread(bytes: Uint8Array): Promise<void>;
  /** The digest of everything hashed (16 bytes); the hash is spent. */
  digest(): Uint8Array;
}

const SYMBOLS = {
  MD5_Init: { parameters: ["buffer"], result: "i32" },
  MD5_Update: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
  MD5_UpdateOffThread: {
    name: "MD5_Update",
    parameters: ["buffer", "buffer", "usize"],
    result: "i32",
    nonblocking: true,
  },
  MD5_Final: { parameters: ["buffer", "buffer"], result: "i32" },
} as const;

type Libcrypto = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** OpenSSL 3, then 1.1: both keep the MD5_* calls. Linux only: macOS aborts a process that loads its unversioned libcrypto. */
const LIBRARIES: Partial<Record<typeof Deno.build.os, string[]>> = {
  linux: ["libcrypto.so.3", "libcrypto.so.1.1"],
};

/** sizeof(MD5_CTX) is 92; room to spare. */
const CONTEXT_BYTES = 128;

let loaded: Libcrypto | null | undefined;

/** libcrypto's MD5 symbols, once; null where they cannot be loaded or do not hash right. */
function libcrypto(): Libcrypto | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  for (const name of LIBRARIES[Deno.build.os] ?? []) {
    try {
      const symbols = Deno.dlopen(name, SYMBOLS).symbols;
      if (selfTest(symbols)) loaded = symbols;
      break;
    } catch {
      // not here (or no FFI permission): the next name, then node:crypto
    }
  }
  return loaded;
}

/** The library's MD5 of a known input agrees with node:crypto's. */
function selfTest(lib: Libcrypto): boolean {
  const input = new TextEncoder().encode("geckos3 md5 self-test");
  const hash = new LibcryptoMd5(lib);
  hash.update(input);
  const expected = createHash("md5").update(input).digest();
  return hash.digest().every((b, i) => b === expected[i]);
}

/** libcrypto's MD5 over a context kept in a JavaScript-owned buffer (freed with it). */
class LibcryptoMd5 implements Md5 {
  readonly #context = new Uint8Array(CONTEXT_BYTES);

  constructor(private readonly lib: Libcrypto) {
    lib.MD5_Init(this.#context);
  }

  update(bytes: Uint8Array): void {
    if (bytes.byteLength > 0) this.lib.MD5_Update(this.#context, bytes, BigInt(bytes.byteLength));
  }

  async updateOffThread(bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > 0) {
      await this.lib.MD5_UpdateOffThread(this.#context, bytes, BigInt(bytes.byteLength));
    }
  }

  digest(): Uint8Array {
    const out = new Uint8Array(16);
    this.lib.MD5_Final(out, this.#context);
    return out;
  }
}

/** node:crypto's MD5, all on this thread. */
class NodeMd5 implements Md5 {
  readonly #hash: Hash = createHash("md5");

  update(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }

  updateOffThread(bytes: Uint8Array): Promise<void> {
    this.#hash.update(bytes);
    return Promise.resolve();
  }

  digest(): Uint8Array {
    return new Uint8Array(this.#hash.digest());
  }
}

/** Where an MD5 comes from. */
export type Md5Implementation = "libcrypto" | "node:crypto";

/** A new MD5: libcrypto's where it loads (or as asked, when it does), else node:crypto's. */
export function createMd5(implementation: Md5Implementation = "libcrypto"): Md5 {
  const lib = implementation === "libcrypto" ? libcrypto() : null;
  return lib ? new LibcryptoMd5(lib) : new NodeMd5();
}

/** Which implementation createMd5 gives here (named in the start-up log). */
export function md5Implementation(): Md5Implementation {
  return libcrypto() ? "libcrypto" : "node:crypto";
}

/** Hex MD5 of bytes in memory. */
export function md5Hex(bytes: Uint8Array): string {
  const hash = createMd5();
  hash.update(bytes);
  return toHex(hash.digest());
}

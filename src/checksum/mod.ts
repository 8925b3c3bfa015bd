/**
 * Flexible checksums (`x-amz-checksum-*`): incremental hashers for every
 * algorithm S3 accepts, with digests in S3's base64 form.
 * CRC32 comes from `node:zlib`; CRC32C, CRC64NVME and the three XXHASH
 * variants from hash-wasm (a maintained WebAssembly implementation, far
 * faster than a JS table loop), loaded with the first request that needs
 * one: importing it took about 55 ms of every start-up; SHA-1, SHA-256,
 * SHA-512 and MD5 from `node:crypto`.
 */
import { crc32 } from "node:zlib";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";

/** The algorithms S3 supports, as they appear in header names. */
export const CHECKSUM_ALGORITHMS = [
  "crc32",
  "crc32c",
  "crc64nvme",
  "sha1",
  "sha256",
  "sha512",
  "md5",
  "xxhash64",
  "xxhash3",
  "xxhash128",
] as const;

/** One flexible checksum algorithm. */
export type ChecksumAlgorithm = typeof CHECKSUM_ALGORITHMS[number];

/** An incremental checksum. */
export interface Checksum {
  /** Feeds bytes. */
  update(bytes: Uint8Array): void;
  /** The digest of everything fed, as raw bytes. */
  digest(): Uint8Array;
}

const CRC32C_POLYNOMIAL = 0x82f63b78;
const CRC64NVME_POLYNOMIAL = "9a6c9329ac4bc9b5";

/** Parses an algorithm name as sent (`CRC32`, `crc64nvme`, ...); null when unknown. */
export function parseAlgorithm(name: string | null | undefined): ChecksumAlgorithm | null {
  const lower = name?.toLowerCase() ?? "";
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(lower)
    ? lower as ChecksumAlgorithm
    : null;
}

/** Length in bytes of each algorithm's digest. */
const DIGEST_LENGTH: Record<ChecksumAlgorithm, number> = {
  crc32: 4,
  crc32c: 4,
  crc64nvme: 8,
  sha1: 20,
  sha256: 32,
  sha512: 64,
  md5: 16,
  xxhash64: 8,
  xxhash3: 8,
  xxhash128: 16,
};

/** Creates an incremental hasher for `alg`. */
export async function createChecksum(alg: ChecksumAlgorithm): Promise<Checksum> {
  switch (alg) {
    case "crc32": {
      let value = 0;
      return {
        update: (b) => void (value = crc32(b, value)),
        digest: () => {
          const out = new Uint8Array(4);
          new DataView(out.buffer).setUint32(0, value >>> 0);
          return out;
        },
      };
    }
    case "crc32c":
    case "crc64nvme": {
      const { createCRC32, createCRC64 } = await import("hash-wasm");
      const h = alg === "crc32c"
        ? await createCRC32(CRC32C_POLYNOMIAL)
        : await createCRC64(CRC64NVME_POLYNOMIAL);
      h.init();
      return { update: (b) => void h.update(b), digest: () => h.digest("binary") };
    }
    case "xxhash64":
    case "xxhash3":
    case "xxhash128": {
      const { createXXHash64, createXXHash3, createXXHash128 } = await import("hash-wasm");
      const h = alg === "xxhash64"
        ? await createXXHash64()
        : alg === "xxhash3"
        ? await createXXHash3()
        : await createXXHash128();
      h.init();
      return { update: (b) => void h.update(b), digest: () => h.digest("binary") };
    }
    case "sha1":
    case "sha256":
    case "sha512":
    case "md5": {
      const h = createHash(alg);
      return { update: (b) => void h.update(b), digest: () => new Uint8Array(h.digest()) };
    }
  }
}

/** Lower-case hex of bytes (ETags). */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}

/** Base64 of bytes, as S3 writes checksums. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** True when `value` is base64 of exactly the digest length of `alg`. */
export function isValidChecksumValue(alg: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, "base64").byteLength === DIGEST_LENGTH[alg];
}

/**
 * Reversible mapping between S3 object keys and relative filesystem paths,
 * and bucket-name rules.
 *
 * A key is split on `/`; each segment becomes one path segment. Segments a
 * filesystem cannot hold as-is are percent-escaped (`%XX`, upper-case hex),
 * and `%` itself is always escaped, so a name holding `%` not followed by two
 * upper-case hex digits can never come from a key. Two such names are
 * reserved:
 *   - `%`      an empty segment (`a//b`, or the folder marker `photos/`)
 *   - `%obj`   the bytes of the key that names the directory it lies in
 *              (key `a` when `a/b` also exists: `a/%obj`)
 *   - `%v`     in the versions tree, the directory of a key's noncurrent
 *              versions (`.geckos3/versions/<bucket>/a/b/%v/` for key `a/b`)
 */
import { S3Error } from "../errors.ts";

/** File name standing for an empty key segment. */
export const EMPTY_SEGMENT = "%";
/** File name, inside directory `d`, holding the bytes of the object whose key is `d` itself. */
export const SELF_OBJECT = "%obj";
/** Directory name, in the versions tree, holding the noncurrent versions of the key it lies in. */
export const VERSIONS_ENTRY = "%v";
/** Longest key S3 accepts, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** Longest file name most filesystems accept, in bytes. */
const MAX_NAME_BYTES = 255;

/** Platforms with different file-name rules. */
export type Platform = "posix" | "windows";

/** The platform this process runs on. */
const HOST_PLATFORM: Platform = Deno.build.os === "windows" ? "windows" : "posix";

const encoder = new TextEncoder();
const HEX = "0123456789ABCDEF";

function escapeChar(c: string): string {
  let out = "";
  for (const b of encoder.encode(c)) out += "%" + HEX[b >> 4] + HEX[b & 15];
  return out;
}

// deno-lint-ignore no-control-regex
const POSIX_UNSAFE = /[%\u0000]/g;
// deno-lint-ignore no-control-regex
const WINDOWS_UNSAFE = /[%<>:"\\|?*\u0000-\u001f]/g;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;

/** Encodes one key segment as a file name for `platform`. */
export function encodeSegment(segment: string, platform: Platform = HOST_PLATFORM): string {
  if (segment === "") return EMPTY_SEGMENT;
  if (segment === ".") return "%2E";
  if (segment === "..") return "%2E%2E";
  if (platform === "posix") {
    return segment.includes("%") || segment.includes("\0")
      ? segment.replace(POSIX_UNSAFE, escapeChar)
      : segment;
  }
  let name = segment.replace(WINDOWS_UNSAFE, escapeChar);
  // Windows drops trailing dots and spaces and reserves device names.
  const last = name[name.length - 1];
  if (last === "." || last === " ") name = name.slice(0, -1) + escapeChar(last);
  if (WINDOWS_RESERVED.test(name)) name = escapeChar(name[0]) + name.slice(1);
  return name;
}

const ESCAPE_RE = /%([0-9A-F]{2})/g;
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a file name back into a key segment. Returns null for reserved
 * names and for names no key can produce (which are then not objects).
 */
export function decodeSegment(name: string): string | null {
  if (name === EMPTY_SEGMENT) return "";
  if (!name.includes("%")) return name;
  // Every % must start a valid upper-case escape; anything else is reserved.
  if (name.replace(ESCAPE_RE, "").includes("%")) return null;
  const bytes: number[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === "%") {
      bytes.push(parseInt(name.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const cp = name.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const b of encoder.encode(ch)) bytes.push(b);
      i += ch.length;
    }
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

/**
 * Maps a key to its path segments (file names) relative to the bucket
 * directory. Throws KeyTooLongError for keys over 1024 bytes or segments
 * whose file name would exceed 255 bytes.
 */
export function keyToSegments(key: string, platform: Platform = HOST_PLATFORM): string[] {
  if (key === "") throw new S3Error("InvalidArgument", "The object key must not be empty.");
  if (encoder.encode(key).byteLength > MAX_KEY_BYTES) throw new S3Error("KeyTooLongError");
  const segments = key.split("/").map((s) => encodeSegment(s, platform));
  for (const name of segments) {
    if (name.length > MAX_NAME_BYTES / 3 && encoder.encode(name).byteLength > MAX_NAME_BYTES) {
      throw new S3Error(
        "KeyTooLongError",
        "A segment of your key (between two slashes) is longer than the 255 bytes a file name can hold.",
      );
    }
  }
  return segments;
}

/** Inverse of keyToSegments: null when a name is reserved or undecodable. */
export function segmentsToKey(names: readonly string[]): string | null {
  const parts: string[] = [];
  for (const n of names) {
    const s = decodeSegment(n);
    if (s === null) return null;
    parts.push(s);
  }
  return parts.join("/");
}

/**
 * Checks a bucket name against the rules: 3-63 characters, lower-case
 * letters, digits, hyphens and dots, starting and ending with a letter or
 * digit, no `..`, not an IP address. Throws InvalidBucketName.
 */
export function validateBucketName(name: string): void {
  if (!isValidBucketName(name)) throw new S3Error("InvalidBucketName");
}

/** True when `name` satisfies the bucket-name rules. */
export function isValidBucketName(name: string): boolean {
  return name.length >= 3 && name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes("..") &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

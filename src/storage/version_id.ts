/**
 * Version ids: 19 characters of base32hex (`0-9A-V`). The first 11 encode
 * the time of the version's creation, inverted, so that ids sort in
 * ascending string order from the newest version to the oldest: a sorted
 * directory of versions lists them in S3's order (newest first). The last 8
 * are random, so two processes never make the same id.
 */

/** The version id of objects written while versioning was never enabled or is suspended. */
export const NULL_VERSION = "null";

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
const TIME_CHARS = 11;
const RANDOM_CHARS = 8;
/**
 * The largest time value: 11 base32 characters hold 55 bits, but a number
 * is exact only to 2^53 (beyond, neighbouring values would encode alike and
 * ids could sort out of order). At 1024 ids a millisecond this lasts until
 * the year 2248.
 */
const TIME_MAX = Number.MAX_SAFE_INTEGER;
/** Ids made in one millisecond by one process: the time field counts them below the millisecond. */
const PER_MS = 1024;
const ID_RE = /^[0-9A-V]{19}$/;

let lastTime = 0;

function encode(value: number, chars: number): string {
  let out = "";
  for (let i = 0; i < chars; i++) {
    out = DIGITS[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function decodeTime(id: string): number {
  let value = 0;
  for (let i = 0; i < TIME_CHARS; i++) value = value * 32 + DIGITS.indexOf(id[i]);
  return value;
}

function randomPart(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_CHARS));
  let out = "";
  for (const b of bytes) out += DIGITS[b & 31];
  return out;
}

/**
 * A new version id, newer (sorting before) than `newerThan` when given: the
 * newest version a key has, so ids follow the order of commits even when
 * clocks of two processes differ.
 */
export function newVersionId(newerThan?: string): string {
  let time = Math.max(Date.now() * PER_MS, lastTime + 1);
  if (newerThan !== undefined && isVersionId(newerThan)) {
    time = Math.max(time, TIME_MAX - decodeTime(newerThan) + 1);
  }
  lastTime = time;
  return encode(TIME_MAX - time, TIME_CHARS) + randomPart();
}

/**
 * The id of a version kept without a metadata file: its modification time
 * (set when it was written, see versioning.ts) in place of the time, and its
 * inode in place of the random part, so it can be derived again from the file.
 */
export function idFromTime(mtimeMs: number, ino: number): string {
  return encode(TIME_MAX - mtimeMs * PER_MS, TIME_CHARS) +
    encode(ino % 32 ** RANDOM_CHARS, RANDOM_CHARS);
}

/** The time value (ms x 1024 + sequence) an id was made at. */
export function timeOf(id: string): number {
  return TIME_MAX - decodeTime(id);
}

/** True for ids newVersionId makes (not `null`). */
export function isVersionId(id: string): boolean {
  return ID_RE.test(id);
}

/** True for a version id a request may name: one of ours, or `null`. */
export function isWellFormedVersionId(id: string): boolean {
  return id === NULL_VERSION || isVersionId(id);
}

/** True when version `a` is newer than version `b` (both made by newVersionId). */
export function isNewer(a: string, b: string): boolean {
  return a < b;
}

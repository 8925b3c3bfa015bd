/** IP addresses and CIDR blocks for the `IpAddress` condition operators. */

/** A parsed CIDR block (or single address): the address bits and how many of them count. */
export interface CidrBlock {
  /** Address as a big integer (IPv4 in the low 32 bits). */
  bits: bigint;
  /** Prefix length. */
  prefix: number;
  /** Whether the block is IPv6. */
  v6: boolean;
}

/** Parses `a.b.c.d[/n]` or an IPv6 address with an optional `/n`; null when malformed. */
export function parseCidr(text: string): CidrBlock | null {
  const slash = text.indexOf("/");
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return null;
  const max = addr.v6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  return { bits: addr.bits, prefix, v6: addr.v6 };
}

/** Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address is read as IPv4. */
export function parseIp(text: string): { bits: bigint; v6: boolean } | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { bits: v4, v6: false };
  const bits = parseV6(text);
  if (bits === null) return null;
  if (bits >> 32n === 0xffffn) return { bits: bits & 0xffffffffn, v6: false };
  return { bits, v6: true };
}

/** Whether `addr` lies in `block`. */
export function inBlock(addr: { bits: bigint; v6: boolean }, block: CidrBlock): boolean {
  if (addr.v6 !== block.v6) return false;
  const width = BigInt(block.v6 ? 128 : 32);
  const shift = width - BigInt(block.prefix);
  return (addr.bits >> shift) === (block.bits >> shift);
}

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split("::").length > 2) return null;
  let groups: string[];
  const tailV4 = text.includes(".") ? text.slice(text.lastIndexOf(":") + 1) : null;
  // A dotted tail (`::ffff:1.2.3.4`) stands for the last two groups.
  const head = tailV4 === null ? text : text.slice(0, text.lastIndexOf(":") + 1) + "0:0";
  const [left, right] = head.split("::");
  const l = left === "" ? [] : left.split(":");
  if (right === undefined) groups = l;
  else {
    const r = right === "" ? [] : right.split(":");
    if (l.length + r.length > 7) return null;
    groups = [...l, ...Array(8 - l.length - r.length).fill("0"), ...r];
  }
  if (groups.length !== 8) return null;
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== null) {
    const v4 = parseV4(tailV4);
    if (v4 === null) return null;
    n = (n & ~0xffffffffn) | v4;
  }
  return n;
}

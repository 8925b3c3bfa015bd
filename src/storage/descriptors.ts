/**
 * The process's open file descriptors, read from `/proc/self/fd` (Linux).
 * The connection guard (front/connection_guard.ts) finds its sockets this
 * way; it lives here because the storage layer is the one place that reads
 * the filesystem, `/proc` included.
 */

/** The open descriptors of this process; throws where `/proc/self/fd` cannot be read. */
export function listDescriptors(): number[] {
  const out: number[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) out.push(Number(entry.name));
  return out;
}

/** The inode of the socket `fd` holds (`socket:[inode]`), or null for anything else. */
export function descriptorInode(fd: number): string | null {
  try {
    const link = Deno.readLinkSync(`/proc/self/fd/${fd}`);
    return link.startsWith("socket:[") ? link.slice(8, -1) : null;
  } catch {
    return null;
  }
}

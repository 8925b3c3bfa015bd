/**
 * The process's own TCP connections, as the kernel sees them: Deno.serve
 * hands out no connection handle and has no header-read or idle timeout
 * (https://github.com/denoland/deno/issues/3515), so the connection guard
 * finds the server's sockets in `/proc/self/fd`, reads their TCP state with
 * `getsockopt(TCP_INFO)` and closes one with `shutdown(2)` (the runtime then
 * sees end-of-stream and releases it). Linux only; elsewhere, or without FFI
 * permission, `socketApi()` is null and no guard runs.
 */
import { descriptorInode, listDescriptors } from "../storage/mod.ts";

const SYMBOLS = {
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

const IPPROTO_TCP = 6;
const TCP_INFO = 11;
const SHUT_RDWR = 2;
const RLIMIT_NOFILE = 7;
/** tcp_info offsets (include/uapi/linux/tcp.h): state, last_data_sent, last_data_recv, bytes_received. */
const TCPI_STATE = 0;
const TCPI_LAST_DATA_SENT = 44;
const TCPI_LAST_DATA_RECV = 52;
const TCPI_BYTES_RECEIVED = 128;
const TCP_INFO_SIZE = 232;

/** One accepted connection of the server. */
export interface ServerSocket {
  /** File descriptor in this process. */
  fd: number;
  /** Socket inode: tells a reused descriptor from the one scanned. */
  inode: string;
  /** The peer's port (the key requests are tracked by). */
  remotePort: number;
  /** Kernel TCP state (1 = established, 8 = close-wait). */
  state: number;
  /** Milliseconds since data last arrived. */
  quietInMs: number;
  /** Milliseconds since data was last sent. */
  quietOutMs: number;
  /** Bytes received on the connection so far. */
  bytesReceived: bigint;
}

/** What the guard needs of the operating system. */
export interface SocketApi {
  /** The established connections whose local port is `port`. */
  connections(port: number): ServerSocket[];
  /** Closes both directions of `socket`, if its descriptor still holds that socket. */
  close(socket: ServerSocket): void;
  /** The open-file limit (soft), after raising it to the hard limit as Go programs do. */
  raiseFileLimit(): number;
}

let api: SocketApi | null | undefined;

/** The socket API, or null where it cannot work (not Linux, no FFI, no /proc). */
export function socketApi(): SocketApi | null {
  if (api !== undefined) return api;
  api = null;
  if (Deno.build.os !== "linux") return api;
  try {
    listDescriptors();
    api = linuxSockets(Deno.dlopen("libc.so.6", SYMBOLS).symbols);
  } catch {
    api = null;
  }
  return api;
}

function linuxSockets(libc: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"]): SocketApi {
  const addr = new Uint8Array(128);
  const len = new Uint32Array(1);
  const lenBytes = new Uint8Array(len.buffer);
  const info = new Uint8Array(TCP_INFO_SIZE);
  const infoView = new DataView(info.buffer);
  const infoLen = new Uint32Array(1);
  const infoLenBytes = new Uint8Array(infoLen.buffer);
  /** The port of a socket's local or peer address, or -1. */
  const portOf = (call: "getsockname" | "getpeername", fd: number): number => {
    len[0] = addr.byteLength;
    if (libc[call](fd, addr, lenBytes) !== 0) return -1;
    const family = addr[0] | (addr[1] << 8);
    if (family !== 2 && family !== 10) return -1; // AF_INET, AF_INET6
    return (addr[2] << 8) | addr[3];
  };
  const inodeOf = descriptorInode;
  // Listing /proc/self/fd takes a descriptor, and the guard is needed most when none is left:
  // one is kept in reserve and given up for each scan (as servers do for accept under EMFILE).
  // (A raw descriptor through libc, not a Deno resource: it lives as long as the process.)
  const DEV_NULL = new TextEncoder().encode("/dev/null\0");
  const O_CLOEXEC = 0o2000000;
  let spare = libc.open(DEV_NULL, O_CLOEXEC);
  return {
    connections(port) {
      if (spare >= 0) libc.close(spare);
      try {
        return scan(port);
      } finally {
        spare = libc.open(DEV_NULL, O_CLOEXEC);
      }
    },
    close(socket) {
      if (inodeOf(socket.fd) === socket.inode) libc.shutdown(socket.fd, SHUT_RDWR);
    },
    raiseFileLimit() {
      const limits = new BigUint64Array(2);
      const bytes = new Uint8Array(limits.buffer);
      if (libc.getrlimit(RLIMIT_NOFILE, bytes) !== 0) return Infinity;
      if (limits[0] < limits[1]) {
        const wanted = new BigUint64Array([limits[1], limits[1]]);
        if (libc.setrlimit(RLIMIT_NOFILE, new Uint8Array(wanted.buffer)) === 0) {
          limits[0] = limits[1];
        }
      }
      return limits[0] > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(limits[0]);
    },
  };

  function scan(port: number): ServerSocket[] {
    const out: ServerSocket[] = [];
    for (const fd of listDescriptors()) {
      const inode = inodeOf(fd);
      if (inode === null || portOf("getsockname", fd) !== port) continue;
      const remotePort = portOf("getpeername", fd);
      if (remotePort < 0) continue; // the listening socket
      infoLen[0] = info.byteLength;
      if (libc.getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, infoLenBytes) !== 0) continue;
      out.push({
        fd,
        inode,
        remotePort,
        state: info[TCPI_STATE],
        quietOutMs: infoView.getUint32(TCPI_LAST_DATA_SENT, true),
        quietInMs: infoView.getUint32(TCPI_LAST_DATA_RECV, true),
        bytesReceived: infoView.getBigUint64(TCPI_BYTES_RECEIVED, true),
      });
    }
    return out;
  }
}

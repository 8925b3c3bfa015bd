/**
 * MD5 on a worker thread for streamed uploads. MD5 runs at about 600 MB/s on
 * one core, so hashing on the thread that also receives the body caps a
 * single upload well below what the disk and the socket allow. Here the
 * upload copies its bytes into shared slots; the worker hashes a slot while
 * the disk write of the same slot runs, and the receiving thread only copies.
 *
 * Slots are a fixed pool of SharedArrayBuffers, created once and reused, so
 * memory stays bounded: an upload that finds none free hashes on its own
 * thread as before. The worker starts with the first upload and ends when
 * `closeMd5Offload()` finds no upload using it.
 *
 * It only pays where the extra thread gets a core of its own: on two cores
 * the receiving thread, the MD5 worker, the kernel's page-cache writes and
 * (in development) the client itself share them, and 1 GiB PUTs measured no
 * faster (docs/performance.md). So it is on from four cores up.
 */

/** Bytes per slot. */
export const SLOT_BYTES = 1024 * 1024;
/** Slots one upload cycles through: one filling, the others being written and hashed. */
const SLOTS_PER_UPLOAD = 4;
/** All slots: this many uploads at once hash off-thread, the rest on their own thread. */
const MAX_SLOTS = 16;

/** What the main thread tells the MD5 worker. */
export type ToMd5Worker =
  | { type: "slot"; slot: number; buffer: SharedArrayBuffer }
  | { type: "update"; upload: number; slot: number; length: number }
  | { type: "digest"; upload: number }
  | { type: "drop"; upload: number };

/** What the MD5 worker answers. */
export type FromMd5Worker =
  | { type: "updated"; upload: number; slot: number }
  | { type: "digest"; upload: number; digest: Uint8Array };

/** One upload's off-thread MD5: its slots, and the hashing of them in order. */
export interface OffloadedMd5 {
  /** The upload's slots (views of the shared buffers), to fill and pass to update(). */
  readonly slots: readonly Uint8Array[];
  /** Hashes the first `length` bytes of `slots[i]` after everything passed before. */
  update(i: number, length: number): Promise<void>;
  /** The MD5 of everything hashed; gives the slots back. */
  digest(): Promise<Uint8Array>;
  /** Gives the slots back without a digest (after an error). */
  release(): void;
}

interface Waiter {
  resolve(value?: unknown): void;
  reject(e: Error): void;
}

let enabled = navigator.hardwareConcurrency >= 4;
let worker: Worker | null = null;
let failure: Error | null = null;
const buffers: Uint8Array[] = [];
const free: number[] = [];
const waiting = new Map<string, Waiter>();
let uploads = 0;
let active = 0;

function startWorker(): Worker {
  const w = new Worker(new URL("./md5_worker.ts", import.meta.url), { type: "module" });
  w.onmessage = (e: MessageEvent<FromMd5Worker>) => {
    const msg = e.data;
    const key = msg.type === "updated" ? `${msg.upload}:${msg.slot}` : `${msg.upload}:digest`;
    const waiter = waiting.get(key);
    waiting.delete(key);
    waiter?.resolve(msg.type === "digest" ? msg.digest : undefined);
  };
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    failure = new Error(`MD5 worker failed: ${e.message}`);
    for (const waiter of waiting.values()) waiter.reject(failure);
    waiting.clear();
  };
  for (let i = 0; i < buffers.length; i++) {
    w.postMessage({ type: "slot", slot: i, buffer: buffers[i].buffer } as ToMd5Worker);
  }
  return w;
}

function reply(key: string): Promise<unknown> {
  return new Promise((resolve, reject) => waiting.set(key, { resolve, reject }));
}

/** Takes `n` slots, creating them up to MAX_SLOTS; null when there are not enough. */
function takeSlots(n: number): number[] | null {
  while (free.length < n && buffers.length < MAX_SLOTS) {
    const slot = buffers.length;
    const view = new Uint8Array(new SharedArrayBuffer(SLOT_BYTES));
    buffers.push(view);
    free.push(slot);
    worker?.postMessage({ type: "slot", slot, buffer: view.buffer } as ToMd5Worker);
  }
  return free.length >= n ? free.splice(0, n) : null;
}

/**
 * An off-thread MD5 for one upload, or null when it is off, all slots are in
 * use or the worker has failed: the caller then hashes on its own thread.
 */
export function offloadMd5(): OffloadedMd5 | null {
  if (!enabled || failure) return null;
  const taken = takeSlots(SLOTS_PER_UPLOAD);
  if (!taken) return null;
  worker ??= startWorker();
  const w = worker;
  const upload = ++uploads;
  active++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    free.push(...taken);
    active--;
  };
  return {
    slots: taken.map((slot) => buffers[slot]),
    update(i, length) {
      if (failure) return Promise.reject(failure);
      const slot = taken[i];
      const done = reply(`${upload}:${slot}`);
      w.postMessage({ type: "update", upload, slot, length } as ToMd5Worker);
      return done.then(() => {});
    },
    async digest() {
      try {
        if (failure) throw failure;
        const done = reply(`${upload}:digest`);
        w.postMessage({ type: "digest", upload } as ToMd5Worker);
        return (await done) as Uint8Array;
      } finally {
        release();
      }
    },
    release() {
      if (!released && !failure) w.postMessage({ type: "drop", upload } as ToMd5Worker);
      release();
    },
  };
}

/** Turns off-thread MD5 on or off (the default depends on the number of cores; tests force it). */
export function setMd5Offload(on: boolean): void {
  enabled = on;
}

/** Ends the worker when no upload uses it (a later upload starts another). */
export function closeMd5Offload(): void {
  if (active > 0 || !worker) return;
  worker.terminate();
  worker = null;
}

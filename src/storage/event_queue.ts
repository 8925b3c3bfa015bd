/**
 * Durable queues of event notifications, one per target, in the system
 * area: `events/<target>/seg-<n>.jsonl` segments of JSON lines, appended
 * under the queue's `lock` file (an flock, so the servers of a pool and
 * other processes on the data dir append one at a time), and `cursor.json`,
 * how far the sender has delivered. A line is appended before the request
 * that made it is answered (synced with -fsync), so an acknowledged event
 * survives a crash; the sender moves the cursor only after delivery, so
 * it is delivered at least once. A segment is removed once it is delivered
 * and a newer one exists; the queue never holds more than its limit.
 */
import { type LockFile, openLockFile } from "./flock.ts";
import { isNotFound, removeQuietly } from "./fsutil.ts";
import { SEP } from "./paths.ts";
import type { Store } from "./store.ts";

/** Where a queue has been read to: a segment and a byte offset in it. */
export interface QueuePosition {
  segment: number;
  offset: number;
}

/** Queued lines read after the cursor, each with the position after it. */
export interface QueueBatch {
  lines: { text: string; next: QueuePosition }[];
}

/** A segment grows to about this size before the next one starts. */
const SEGMENT_BYTES = 8 * 1024 * 1024;
/** Most bytes one read() returns (whole lines). */
const READ_BYTES = 256 * 1024;
/** How long a cursor read for the backlog check is trusted. */
const CURSOR_TRUST_MS = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One target's queue: its lock, the segment this process appends to, the cursor seen. */
interface Queue {
  dir: string;
  lock: LockFile;
  /** Serialises this process's holders of the lock before the flock (see #exclusive). */
  tail: Promise<unknown>;
  segment: number;
  file: Deno.FsFile | null;
  cursor: { at: QueuePosition; read: number } | null;
  sender: LockFile | null;
}

/** The event queues of a store. */
export class EventQueues {
  #queues = new Map<string, Promise<Queue>>();

  /** Queues of `store`, each holding at most `maxBytes` undelivered. */
  constructor(private readonly store: Store, private readonly maxBytes: number) {}

  #queue(target: string): Promise<Queue> {
    let q = this.#queues.get(target);
    if (!q) {
      const dir = this.store.layout.eventQueueDir(target);
      q = (async () => {
        await Deno.mkdir(dir, { recursive: true });
        const lock = await openLockFile(dir + SEP + "lock");
        return {
          dir,
          lock,
          tail: Promise.resolve(),
          segment: 0,
          file: null,
          cursor: null,
          sender: null,
        };
      })();
      this.#queues.set(target, q);
      q.catch(() => this.#queues.delete(target));
    }
    return q;
  }

  /**
   * Appends the line `line(sequencer)` makes to a target's queue, durably
   * with -fsync; `sequencer` grows with every append to the queue. False
   * (nothing appended) when the queue holds its limit already: the event is
   * dropped.
   */
  async append(target: string, line: (sequencer: string) => string): Promise<boolean> {
    const q = await this.#queue(target);
    return await this.#exclusive(q, () => this.#appendLocked(q, line));
  }

  /**
   * Runs `fn` holding the queue's lock: after this process's earlier holders
   * (the flock does not exclude within one process), then under the flock.
   */
  #exclusive<T>(q: Queue, fn: () => T | Promise<T>): Promise<T> {
    const run = q.tail.then(async () => {
      const waited = q.lock.lock();
      if (waited) await waited;
      try {
        return await fn();
      } finally {
        q.lock.unlock();
      }
    });
    q.tail = run.catch(() => {});
    return run;
  }

  #appendLocked(q: Queue, line: (sequencer: string) => string): boolean {
    const { file, size } = this.#segmentFile(q);
    if (this.#backlog(q, size) >= this.maxBytes) return false;
    const sequencer = q.segment.toString(16).padStart(6, "0") +
      size.toString(16).padStart(10, "0");
    const bytes = encoder.encode(line(sequencer) + "\n");
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    if (this.store.fsync) file.syncDataSync();
    if (size + bytes.length >= SEGMENT_BYTES) {
      // The next append, of any process, goes to a new segment: this one is sealed.
      file.close();
      q.file = null;
      q.segment++;
      try {
        Deno.writeFileSync(segmentPath(q.dir, q.segment), new Uint8Array(0), { createNew: true });
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
    }
    return true;
  }

  /**
   * The segment this process appends to, open: the newest one. A cached one
   * that another process sealed, or the sender removed, is given up.
   */
  #segmentFile(q: Queue): { file: Deno.FsFile; size: number } {
    if (q.file) {
      // Always the newest: appending to an older one would deliver a key's later event first. A
      // segment smaller than SEGMENT_BYTES is the newest (only the append that fills it starts
      // the next) and still there (only a sealed one is ever removed).
      const { size } = q.file.statSync();
      if (size < SEGMENT_BYTES) return { file: q.file, size };
      q.file.close();
      q.file = null;
    }
    const newest = segmentsOf(q.dir).at(-1);
    q.segment = newest ?? Math.max(q.segment, this.#cursor(q, true).segment, 1);
    const file = Deno.openSync(segmentPath(q.dir, q.segment), { append: true, create: true });
    q.file = file;
    return { file, size: file.statSync().size };
  }

  /** Bytes queued past the cursor, about (whole segments counted as full). */
  #backlog(q: Queue, size: number): number {
    const at = this.#cursor(q, false);
    if (at.segment > q.segment) return 0;
    return (q.segment - at.segment) * SEGMENT_BYTES + size -
      (at.segment === q.segment ? at.offset : 0);
  }

  /** The cursor: as last read when read in the last second, unless `fresh`. */
  #cursor(q: Queue, fresh: boolean): QueuePosition {
    const now = Date.now();
    if (!fresh && q.cursor && now - q.cursor.read < CURSOR_TRUST_MS) return q.cursor.at;
    let at: QueuePosition = { segment: 1, offset: 0 };
    try {
      const raw = JSON.parse(Deno.readTextFileSync(q.dir + SEP + "cursor.json"));
      if (Number.isSafeInteger(raw?.segment) && Number.isSafeInteger(raw?.offset)) at = raw;
    } catch (e) {
      if (!isNotFound(e) && !(e instanceof SyntaxError)) throw e;
      // No cursor yet: from the oldest segment there is.
      at = { segment: segmentsOf(q.dir)[0] ?? 1, offset: 0 };
    }
    q.cursor = { at, read: now };
    return at;
  }

  /** Up to about READ_BYTES of whole lines after the cursor, oldest first (none: nothing queued). */
  async read(target: string): Promise<QueueBatch> {
    const q = await this.#queue(target);
    let at = this.#cursor(q, true);
    for (;;) {
      const path = segmentPath(q.dir, at.segment);
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // Missing when the open ran is not missing now: under load the answer comes late, and the
        // segment (and newer ones) may have been made meanwhile. Only a segment that is still
        // missing was delivered and removed (a crash between its removal and the cursor's move).
        const segments = segmentsOf(q.dir);
        if (segments.includes(at.segment)) continue;
        const next = segments.find((n) => n > at.segment);
        if (next === undefined) return { lines: [] };
        at = { segment: next, offset: 0 };
        continue;
      }
      try {
        await file.seek(at.offset, Deno.SeekMode.Start);
        const buf = new Uint8Array(READ_BYTES);
        const n = (await file.read(buf)) ?? 0;
        const lines: QueueBatch["lines"] = [];
        let start = 0;
        for (let end = buf.indexOf(10); end >= 0 && end < n; end = buf.indexOf(10, start)) {
          const text = decoder.decode(buf.subarray(start, end));
          start = end + 1;
          const next = { segment: at.segment, offset: at.offset + start };
          if (text !== "") lines.push({ text, next });
        }
        if (start > 0) return { lines };
        if (n === READ_BYTES) {
          // No line end in a whole read: not a line this module wrote. Skipped.
          await this.ack(target, { segment: at.segment, offset: at.offset + n });
          return { lines: [] };
        }
      } finally {
        file.close();
      }
      // Nothing more here: on to the next segment once one exists, this one removed.
      const next = segmentsOf(q.dir).find((n) => n > at.segment);
      if (next === undefined) return { lines: [] };
      if (!(await this.#retire(q, at))) continue; // written to meanwhile: read it again
      at = { segment: next, offset: 0 };
      await this.ack(target, at);
    }
  }

  /**
   * Removes segment `at.segment`, read to `at.offset`, unless something was
   * appended to it since (checked under the queue's lock): false then.
   */
  #retire(q: Queue, at: QueuePosition): Promise<boolean> {
    return this.#exclusive(q, async () => {
      const path = segmentPath(q.dir, at.segment);
      try {
        if (Deno.statSync(path).size > at.offset) return false;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      await removeQuietly(path);
      return true;
    });
  }

  /** Records that everything before `next` was delivered (atomically; synced with -fsync). */
  async ack(target: string, next: QueuePosition): Promise<void> {
    const q = await this.#queue(target);
    const tmp = await this.store.temp.writeText(JSON.stringify(next));
    await Deno.rename(tmp, q.dir + SEP + "cursor.json");
    if (this.store.fsync) await this.store.temp.syncDir(q.dir);
    q.cursor = { at: next, read: Date.now() };
  }

  /**
   * Makes this process the sender of a target's queue unless another
   * process on the data dir is (false): one sender per queue keeps its
   * events in order.
   */
  async claimSender(target: string): Promise<boolean> {
    const q = await this.#queue(target);
    if (q.sender) return true;
    const lock = await openLockFile(q.dir + SEP + "sender.lock");
    if (!lock.tryLock()) {
      lock.close();
      return false;
    }
    q.sender = lock;
    return true;
  }

  /** Appends `text` to a file outside the data dir (a JSON-lines target), synced before it returns. */
  async appendToFile(path: string, text: string): Promise<void> {
    const file = await Deno.open(path, { append: true, create: true });
    try {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
  }

  /** Closes the queues' files and locks. */
  async close(): Promise<void> {
    for (const q of this.#queues.values()) {
      try {
        const queue = await q;
        await queue.tail;
        queue.file?.close();
        queue.lock.close();
        queue.sender?.close();
      } catch {
        // never opened
      }
    }
    this.#queues.clear();
  }
}

function segmentPath(dir: string, segment: number): string {
  return dir + SEP + "seg-" + String(segment).padStart(12, "0") + ".jsonl";
}

/** The segment numbers in a queue directory, ascending. */
function segmentsOf(dir: string): number[] {
  const out: number[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      const m = /^seg-(\d{12})\.jsonl$/.exec(e.name);
      if (m) out.push(Number(m[1]));
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return out.sort((a, b) => a - b);
}

import assert from "node:assert/strict";
import { SharedLocks } from "./locks.ts";
import { directLocks, openLockFile } from "./flock.ts";

/** Two SharedLocks on one directory stand for two processes: flock excludes open files, not processes. */
Deno.test("SharedLocks exclude a second holder of the same directory without blocking the event loop", async () => {
  const dir = await Deno.makeTempDir();
  const a = new SharedLocks(dir);
  const b = new SharedLocks(dir);
  try {
    const order: string[] = [];
    let releaseA!: () => void;
    const aHolds = new Promise<void>((r) => (releaseA = r));
    let aEntered!: () => void;
    const entered = new Promise<void>((r) => (aEntered = r));
    const first = a.with("key", async () => {
      order.push("a in");
      aEntered();
      await aHolds;
      order.push("a out");
    });
    await entered;
    const second = b.with("key", () => {
      order.push("b in");
      return Promise.resolve();
    });
    // While b waits for the flock, timers still run on this thread.
    await new Promise((r) => setTimeout(r, 50));
    order.push("timer");
    releaseA();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["a in", "timer", "a out", "b in"]);
  } finally {
    a.close();
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SharedLocks: other names and the same name after release go straight in", async () => {
  const dir = await Deno.makeTempDir();
  const a = new SharedLocks(dir, 1024);
  const b = new SharedLocks(dir, 1024);
  try {
    await a.with("one", async () => {
      // "two" hashes to another slot of 1024 than "one", so b is not kept out.
      await b.with("two", () => Promise.resolve());
    });
    await b.with("one", () => Promise.resolve());
    await a.with("one", () => Promise.resolve());
  } finally {
    a.close();
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock files are taken through libc on Linux, and locked against another open file", async () => {
  if (Deno.build.os === "linux") assert.equal(directLocks(), true);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/slot`;
  const mine = await openLockFile(path);
  try {
    assert.equal(mine.lock(), undefined, "a free lock is taken without waiting");
    // Deno's own flock on another open file of the same path must see it held.
    const other = await Deno.open(path, { read: true, write: true });
    let got = false;
    const waiting = other.lock(true).then(() => (got = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got, false);
    mine.unlock();
    await waiting;
    const held = mine.lock();
    assert.ok(held instanceof Promise, "held elsewhere: the lock is waited for");
    other.unlockSync();
    await held;
    mine.unlock();
    other.close();
  } finally {
    mine.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The event queue on real files: order across segments, removal of delivered ones, the bound. */
import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FsStorage } from "./fs.ts";

async function withStore(
  fn: (store: FsStorage, dir: string) => Promise<void>,
  eventQueueBytes?: number,
) {
  const dir = await Deno.makeTempDir({ prefix: "geckos3-queue-" });
  const store = new FsStorage({ dataDir: dir, metadata: true, fsync: false, eventQueueBytes });
  await store.init();
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const segments = (dir: string) =>
  [...Deno.readDirSync(`${dir}/.geckos3/events/t`)].filter((e) => e.name.startsWith("seg-")).length;

Deno.test("events cross segments in order, and delivered segments are removed", async () => {
  await withStore(async (store, dir) => {
    const pad = "x".repeat(1000);
    const total = 20_000; // about 20 MB: three 8 MiB segments
    const sequencers: string[] = [];
    for (let i = 0; i < total; i++) {
      const ok = await store.events.append("t", (seq) => {
        sequencers.push(seq);
        return JSON.stringify({ i, pad });
      });
      assert(ok);
    }
    assertEquals([...sequencers].sort(), sequencers);
    assertEquals(segments(dir), 3);
    let next = 0;
    for (;;) {
      const batch = await store.events.read("t");
      if (batch.lines.length === 0) break;
      for (const line of batch.lines) assertEquals(JSON.parse(line.text).i, next++);
      await store.events.ack("t", batch.lines.at(-1)!.next);
    }
    assertEquals(next, total);
    assertEquals(segments(dir), 1); // the newest stays, for the next appends
    // Nothing is read twice once acknowledged, and appends go on after the cursor.
    await store.events.append("t", () => JSON.stringify({ i: next }));
    const last = await store.events.read("t");
    assertEquals(last.lines.map((l) => JSON.parse(l.text).i), [total]);
  });
});

Deno.test("a full queue refuses appends until its events are delivered", async () => {
  await withStore(async (store) => {
    const line = () => JSON.stringify({ pad: "y".repeat(1000) });
    let accepted = 0;
    while (await store.events.append("t", line)) accepted++;
    assert(accepted >= 9 && accepted <= 11, `accepted ${accepted}`);
    const batch = await store.events.read("t");
    await store.events.ack("t", batch.lines.at(-1)!.next);
    // The bound is checked against a cursor read at most once a second.
    await new Promise((ok) => setTimeout(ok, 1100));
    assert(await store.events.append("t", line));
  }, 10 * 1024);
});

Deno.test("two stores on one data dir share one queue in the order of their appends", async () => {
  await withStore(async (a, dir) => {
    const b = new FsStorage({ dataDir: dir, metadata: true, fsync: false });
    await b.init();
    try {
      const pad = "z".repeat(1000);
      const total = 36_000; // four segment boundaries
      // Writers take turns, in runs of varying length, as a key's lock makes writers of two
      // processes take turns: the queue must hand the events over in exactly that order.
      let tail = Promise.resolve();
      const appends: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        const store = (i * 7919) % 11 < 6 ? a : b;
        tail = tail.then(async () => {
          assert(await store.events.append("t", () => JSON.stringify({ i, pad })), `append ${i}`);
        });
        appends.push(tail);
      }
      const seen: number[] = [];
      let writing = true;
      const reader = (async () => {
        for (;;) {
          // Taken before the read: an empty read only means "all read" when every append had
          // finished before it began (a read that started earlier may miss the last ones).
          const allAppended = !writing;
          const batch = await a.events.read("t");
          for (const line of batch.lines) seen.push(JSON.parse(line.text).i);
          if (batch.lines.length > 0) await a.events.ack("t", batch.lines.at(-1)!.next);
          else if (allAppended) return;
          else await new Promise((ok) => setTimeout(ok, 1));
        }
      })();
      await Promise.all(appends);
      writing = false;
      await reader;
      assertEquals(seen, Array.from({ length: total }, (_, i) => i));
    } finally {
      await b.close();
    }
  });
});

Deno.test("a segment made while the reader's open of it was answered is read, not skipped", async () => {
  await withStore(async (store, dir) => {
    // The queue exists, empty: the reader will look for segment 1.
    assert(await store.events.append("t", () => "{}"));
    const q = `${dir}/.geckos3/events/t`;
    Deno.removeSync(`${q}/seg-000000000001.jsonl`);
    const reading = store.events.read("t");
    // Let read() reach its open of segment 1 and the open run (and fail) on the blocking pool,
    // then, before its answer is handled, make segment 1 and a newer one, as appends under load
    // do: the answer "not found" is then out of date.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const until = performance.now() + 50;
    while (performance.now() < until) { /* the pool answers meanwhile */ }
    // Each whole at once (renamed into place), as a reader must never see one half written here.
    for (const i of [1, 2]) {
      Deno.writeTextFileSync(`${dir}/seg-${i}`, `{"i":${i}}\n`);
      Deno.renameSync(`${dir}/seg-${i}`, `${q}/seg-00000000000${i}.jsonl`);
    }
    // Under load the reader may have looked, found nothing and returned before the segments
    // were made (nothing to catch then): its next read must still start at segment 1.
    const first = await reading;
    const batch = first.lines.length > 0 ? first : await store.events.read("t");
    assertEquals(batch.lines.map((l) => JSON.parse(l.text).i), [1]);
  });
});

import assert from "node:assert/strict";
import { TimeSlice } from "./time_slice.ts";

Deno.test("TimeSlice: no pause while the slice lasts", () => {
  assert.equal(new TimeSlice(60_000).pause(), null);
});

Deno.test("TimeSlice: a request arriving during long work is served before the work ends", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    events.push("served");
    return new Response("ok");
  });
  const events: string[] = [];
  try {
    const slice = new TimeSlice(2);
    let started!: () => void;
    const working = new Promise<void>((r) => (started = r));
    const work = (async () => {
      started();
      // Busy work in slices, pausing as a listing does, until the request is served or 5 s of
      // work are done (without real pauses, the request waits for all of it).
      const end = performance.now() + 5000;
      while (!events.includes("served") && performance.now() < end) {
        const until = performance.now() + 2;
        while (performance.now() < until) { /* the thread is busy */ }
        await slice.pause();
      }
      events.push("work done");
    })();
    await working;
    const fetched = fetch(`http://127.0.0.1:${server.addr.port}/`).then((r) => r.text());
    await Promise.all([work, fetched]);
    assert.deepEqual(events, ["served", "work done"]);
  } finally {
    await server.shutdown();
  }
});

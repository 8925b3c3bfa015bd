import { assertEquals } from "../tests/support/assert.ts";
import { isoNow } from "./log.ts";

Deno.test("isoNow formats as Date.toISOString, across milliseconds, seconds and years", () => {
  const base = Date.UTC(2026, 11, 2, 3, 4, 5);
  const times = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000].map((d) => base + d);
  times.push(Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1), 0, 86_399_999);
  times.push(Date.UTC(12_345, 0, 1, 0, 0, 0, 7)); // a six-digit year keeps its own form
  for (const t of [...times, ...times.slice().reverse()]) {
    assertEquals(isoNow(t), new Date(t).toISOString(), String(t));
  }
  const now = isoNow();
  assertEquals(now, new Date(Date.parse(now)).toISOString());
});

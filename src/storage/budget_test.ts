import { assertEquals } from "../../tests/support/assert.ts";
import { TransferBudget, WRITE_BUDGET } from "./budget.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

Deno.test("transfer buffers are large while few transfers run and share the budget when many do", () => {
  const budget = new TransferBudget(16 * MiB, 128 * KiB, 1 * MiB);
  assertEquals(budget.bufferSize(), 1 * MiB);
  const open = Array.from({ length: 16 }, () => budget.open());
  assertEquals(open[0].bufferSize(), 1 * MiB);
  open.push(budget.open());
  assertEquals(budget.bufferSize(), 960 * KiB); // 16 MiB / 17, down to a 64 KiB multiple
  for (let i = 0; i < 47; i++) open.push(budget.open());
  assertEquals([budget.active, budget.bufferSize()], [64, 256 * KiB]);
  for (let i = 0; i < 1000; i++) open.push(budget.open());
  assertEquals(budget.bufferSize(), 128 * KiB); // never below the minimum
  for (const t of open) {
    t.close();
    t.close(); // closing twice releases once
  }
  assertEquals([budget.active, budget.bufferSize()], [0, 1 * MiB]);
});

Deno.test("buffers given back are taken again, whole ones only, up to the budget's total", () => {
  const budget = new TransferBudget(2 * MiB, 128 * KiB, 1 * MiB);
  const a = budget.take(1 * MiB);
  const b = budget.take(1 * MiB);
  const c = budget.take(1 * MiB);
  budget.give(a);
  budget.give(b);
  budget.give(c); // over the 2 MiB total: dropped
  budget.give(a.subarray(0, 64 * KiB)); // part of a buffer: never pooled
  const detached = budget.take(512 * KiB);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  budget.give(detached); // moved away (as a failed BYOB read leaves it): empty, not pooled
  const again = [budget.take(1 * MiB), budget.take(1 * MiB), budget.take(1 * MiB)];
  assertEquals(again[0] === b || again[0] === a, true);
  assertEquals(again[1] === a || again[1] === b, true);
  assertEquals(again[2] !== a && again[2] !== b && again[2] !== c, true);
  assertEquals(budget.take(512 * KiB).byteLength, 512 * KiB);
});

Deno.test("request bodies: 4 MiB buffers for a lone upload, 1 MiB for up to 16, less beyond", () => {
  const open = [WRITE_BUDGET.open()];
  try {
    const sizeWith = (n: number) => {
      while (open.length < n) open.push(WRITE_BUDGET.open());
      return WRITE_BUDGET.bufferSize();
    };
    assertEquals([1, 2, 16, 64].map(sizeWith), [4 * MiB, 1 * MiB, 1 * MiB, 256 * KiB]);
  } finally {
    for (const t of open) t.close();
  }
});

Deno.test("a budget's size for a transfer alone can differ from the shared maximum", () => {
  const budget = new TransferBudget(16 * MiB, 128 * KiB, 1 * MiB, 4 * MiB);
  assertEquals(budget.bufferSize(), 4 * MiB, "none open yet: the next one runs alone");
  const first = budget.open();
  assertEquals(budget.bufferSize(), 4 * MiB);
  const second = budget.open();
  assertEquals(budget.bufferSize(), 1 * MiB);
  second.close();
  assertEquals(budget.bufferSize(), 4 * MiB);
  first.close();
});

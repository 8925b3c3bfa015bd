import { isNewer, isVersionId, isWellFormedVersionId, newVersionId } from "./version_id.ts";

Deno.test("version ids: each new id sorts before (is newer than) the one before it", () => {
  let previous = newVersionId();
  for (let i = 0; i < 50_000; i++) {
    const id = newVersionId();
    if (!isNewer(id, previous)) throw new Error(`${id} is not newer than ${previous} (${i})`);
    previous = id;
  }
});

Deno.test("version ids: newer than a given id, even one from a clock ahead of ours", () => {
  const ahead = newVersionId();
  // An id from far ahead in time (a process with a clock ahead): the next ones sort before it.
  const future = "0" + ahead.slice(1);
  const id = newVersionId(future);
  if (!isNewer(id, future) || !isNewer(newVersionId(), id)) throw new Error(`${id} vs ${future}`);
});

Deno.test("version ids: the forms a request may name", () => {
  const id = newVersionId();
  const checks: [string, boolean][] = [
    [id, true],
    ["null", true],
    ["", false],
    ["../x", false],
    [id.toLowerCase(), false],
    [id + "0", false],
  ];
  for (const [value, ok] of checks) {
    if (isWellFormedVersionId(value) !== ok) throw new Error(value);
  }
  if (isVersionId("null")) throw new Error("null is no id of ours");
});

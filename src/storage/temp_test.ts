import { createHash } from "node:crypto";
import { assertEquals } from "../../tests/support/assert.ts";
import { pseudoRandomBytes } from "../../tests/support/bytes.ts";
import { SMALL_BODY, TempArea } from "./temp.ts";
import { InstanceArea } from "./instance.ts";
import { MIN_READ_VIEW } from "./writer.ts";

/** `bytes` as a byte stream (as Deno's request bodies are) that records each view it is asked to fill. */
function recordingByteStream(bytes: Uint8Array, views: { at: number; size: number }[]) {
  let off = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c: ReadableByteStreamController) {
      const view = c.byobRequest!.view!;
      views.push({ at: off, size: view.byteLength });
      if (off >= bytes.length) {
        c.close();
        c.byobRequest!.respond(0);
        return;
      }
      const n = Math.min(view.byteLength, bytes.length - off, 100_000);
      new Uint8Array(view.buffer, view.byteOffset, n).set(bytes.subarray(off, off + n));
      c.byobRequest!.respond(n);
      off += n;
    },
  });
}

Deno.test("TempArea.write: the head of a body is read in views of at most 64 KiB", async () => {
  // Large first views made Deno hold far more of each request body in native memory: 64
  // uploads of 64 MiB at once peaked at 345 MiB with a 320 KiB first view, 234 MiB without.
  const root = await Deno.makeTempDir();
  const area = new InstanceArea(root);
  await area.init(async () => {});
  const temp = new TempArea(area, false);
  try {
    const body = pseudoRandomBytes(3 * 1024 * 1024 + 17, 5);
    const views: { at: number; size: number }[] = [];
    const written = await temp.write(recordingByteStream(body, views));
    assertEquals(written.size, body.length);
    assertEquals(written.digest, new Uint8Array(createHash("md5").update(body).digest()));
    assertEquals(await Deno.readFile(written.path), body);
    const head = views.filter((v) => v.at <= SMALL_BODY);
    assertEquals(head.length > 1, true);
    for (const v of head) {
      assertEquals(v.size <= MIN_READ_VIEW, true, `a ${v.size}-byte view at ${v.at}`);
    }
    // And never a tiny one (see MIN_READ_VIEW).
    for (const v of views) {
      assertEquals(v.size >= MIN_READ_VIEW, true, `a ${v.size}-byte view at ${v.at}`);
    }
  } finally {
    area.close();
    await Deno.remove(root, { recursive: true });
  }
});

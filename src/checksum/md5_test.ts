import { createHash } from "node:crypto";
import { assertEquals } from "../../tests/support/assert.ts";
import { pseudoRandomBytes } from "../../tests/support/bytes.ts";
import { createMd5, md5Hex, type Md5Implementation, md5Implementation } from "./md5.ts";

const IMPLEMENTATIONS: Md5Implementation[] = ["libcrypto", "node:crypto"];

Deno.test("md5: libcrypto is the one in use wherever Linux can load it", () => {
  let loadable = false;
  for (const name of ["libcrypto.so.3", "libcrypto.so.1.1"]) {
    try {
      Deno.dlopen(name, {}).close();
      loadable = true;
    } catch {
      // not here
    }
  }
  assertEquals(
    md5Implementation(),
    Deno.build.os === "linux" && loadable ? "libcrypto" : "node:crypto",
  );
});

Deno.test("md5: both implementations agree with node:crypto, on and off the thread, in order", async () => {
  const sizes = [0, 1, 55, 56, 63, 64, 65, 4096, 1_048_576 + 3];
  for (const implementation of IMPLEMENTATIONS) {
    for (const size of sizes) {
      const bytes = pseudoRandomBytes(size, size + 1);
      const want = new Uint8Array(createHash("md5").update(bytes).digest());
      const whole = createMd5(implementation);
      whole.update(bytes);
      assertEquals(whole.digest(), want, `${implementation} ${size}`);
      // Pieces, alternating between this thread and another, in order.
      const pieces = createMd5(implementation);
      for (let off = 0, i = 0; off < size; i++) {
        const piece = bytes.subarray(off, off + [7, 100_000, 64, 1][i % 4]);
        if (i % 2) await pieces.updateOffThread(piece);
        else pieces.update(piece);
        off += piece.byteLength;
      }
      assertEquals(pieces.digest(), want, `${implementation} ${size} in pieces`);
    }
  }
  assertEquals(md5Hex(new TextEncoder().encode("abc")), "900150983cd24fb0d6963f7d28e17f72");
});

Deno.test("md5: many hashes off the thread at once stay apart", async () => {
  const bodies = Array.from({ length: 16 }, (_, i) => pseudoRandomBytes(300_000 + i, 100 + i));
  const digests = await Promise.all(bodies.map(async (b) => {
    const h = createMd5();
    for (let off = 0; off < b.length; off += 65_536) {
      await h.updateOffThread(b.subarray(off, off + 65_536));
    }
    return h.digest();
  }));
  for (const [i, b] of bodies.entries()) {
    assertEquals(digests[i], new Uint8Array(createHash("md5").update(b).digest()), `body ${i}`);
  }
});

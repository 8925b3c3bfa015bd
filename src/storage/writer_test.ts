import { createHash } from "node:crypto";
import { WRITE_BUDGET } from "./budget.ts";
import { assertEquals } from "../../tests/support/assert.ts";
import { pseudoRandomBytes } from "../../tests/support/bytes.ts";
import {
  type BodyReader,
  bodyReader,
  MIN_READ_VIEW,
  OverlappedWriter,
  writeBody,
} from "./writer.ts";

/** `bytes` as a stream of chunks of uneven sizes (so slots fill across chunk boundaries). */
function unevenStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let off = 0;
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      const n = [1, 65_536, 300_001, 7, 1_048_576, 123_457][i++ % 6];
      c.enqueue(bytes.slice(off, off + n));
      off += n;
    },
  });
}

/** The smallest view a BYOB read asked unevenByteStream for. */
let smallestView = Infinity;

/** `bytes` as a byte stream (as Deno's request bodies are) giving pieces of uneven sizes. */
function unevenByteStream(
  bytes: Uint8Array,
  sizes = [1, 65_536, 300_001, 7, 1_048_576, 123_457],
): ReadableStream<Uint8Array> {
  let off = 0;
  let i = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      if (c.byobRequest?.view) smallestView = Math.min(smallestView, c.byobRequest.view.byteLength);
      if (off >= bytes.length) {
        c.close();
        c.byobRequest?.respond(0);
        return;
      }
      const n = Math.min(sizes[i++ % sizes.length], bytes.length - off);
      const view = c.byobRequest?.view;
      if (view) {
        const k = Math.min(n, view.byteLength);
        new Uint8Array(view.buffer, view.byteOffset, k).set(bytes.subarray(off, off + k));
        c.byobRequest!.respond(k);
        off += k;
      } else {
        c.enqueue(bytes.slice(off, off + n));
        off += n;
      }
    },
  });
}

const MiB = 1024 * 1024;

async function writeOne(
  dir: string,
  name: string,
  bytes: Uint8Array,
  headBytes: number,
  byteStream = false,
) {
  const file = await Deno.open(`${dir}/${name}`, { write: true, createNew: true });
  try {
    const head = [bytes.slice(0, headBytes)];
    const rest = bytes.subarray(headBytes);
    let reader: BodyReader;
    if (byteStream) {
      // Read into the writer's own buffers.
      reader = bodyReader(unevenByteStream(rest));
      assertEquals(reader instanceof ReadableStreamBYOBReader, true);
    } else {
      reader = bodyReader(unevenStream(rest));
      assertEquals(reader instanceof ReadableStreamBYOBReader, false);
    }
    return await writeBody(file, head, reader, "md5");
  } finally {
    file.close();
  }
}

Deno.test("writeBody: bytes in order and the MD5 right, twelve bodies at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bodies = Array.from(
      { length: 12 },
      (_, i) => pseudoRandomBytes(3 * MiB + 4099 * i, i + 1),
    );
    // Every other one a byte stream, read with a BYOB reader into the writer's buffers.
    const results = await Promise.all(
      bodies.map((b, i) => writeOne(dir, `f${i}`, b, 1000 * i, i % 2 === 1)),
    );
    for (let i = 0; i < bodies.length; i++) {
      assertEquals(results[i].size, bodies[i].length);
      assertEquals(results[i].digest, new Uint8Array(createHash("md5").update(bodies[i]).digest()));
      assertEquals(await Deno.readFile(`${dir}/f${i}`), bodies[i], `file ${i}`);
    }
    // An empty body and one smaller than a buffer.
    for (const size of [0, 1000]) {
      const b = pseudoRandomBytes(size, 99);
      const r = await writeOne(dir, `s${size}`, b, 0);
      assertEquals(r.digest, new Uint8Array(createHash("md5").update(b).digest()));
      assertEquals(await Deno.readFile(`${dir}/s${size}`), b);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeBody: a body that fails midway no longer counts against the write budget", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = await Deno.open(`${dir}/broken`, { write: true, createNew: true });
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 5) c.enqueue(new Uint8Array(MiB / 2));
        else c.error(new Error("connection reset"));
      },
    });
    const activeBefore = WRITE_BUDGET.active;
    const error = await writeBody(file, [], body.getReader(), "md5").catch((e) => e);
    file.close();
    assertEquals((error as Error).message, "connection reset");
    // The failed upload no longer counts against the budget.
    assertEquals(WRITE_BUDGET.active, activeBefore);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeBody: bodies one after another reuse buffers, never their leftover bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    smallestView = Infinity;
    // One after another, longest first: each reuses the buffers the one before gave back, whose
    // leftover bytes must never reach the file.
    const sizes = [2 * MiB + 5, MiB + 77_777, 300_001, 5_000];
    for (const [i, n] of sizes.entries()) {
      const b = pseudoRandomBytes(n, 7 + i);
      for (const byteStream of [false, true]) {
        // A byte stream is read straight into the writer's two buffers.
        const name = `inline-${i}-${byteStream}`;
        const r = await writeOne(dir, name, b, 10, byteStream);
        assertEquals(r.digest, new Uint8Array(createHash("md5").update(b).digest()), name);
        assertEquals(await Deno.readFile(`${dir}/${name}`), b, name);
      }
    }
    // Never a tiny view: Deno's request bodies can hang on one (see MIN_READ_VIEW).
    assertEquals(smallestView >= MIN_READ_VIEW, true, `a read into ${smallestView} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bodyReader: a Deno.serve request body is a byte stream, read with a BYOB reader", async () => {
  const ac = new AbortController();
  let kind = "";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const reader = bodyReader(req.body!);
      kind = reader instanceof ReadableStreamBYOBReader ? "byob" : "default";
      await reader.cancel();
      return new Response("ok");
    },
  );
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
      method: "PUT",
      body: new Uint8Array(100_000),
    });
    await res.body?.cancel();
    assertEquals(kind, "byob");
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("writeBody: a buffer with little room left is written out before the next read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The first piece leaves 5 bytes of a 1 MiB buffer: reading into those could hang Deno.
    const b = pseudoRandomBytes(MiB + 100_000, 11);
    smallestView = Infinity;
    const file = await Deno.open(`${dir}/tail`, { write: true, createNew: true });
    const r = await writeBody(file, [], bodyReader(unevenByteStream(b, [MiB - 5])), "md5");
    file.close();
    assertEquals(r.digest, new Uint8Array(createHash("md5").update(b).digest()));
    assertEquals(await Deno.readFile(`${dir}/tail`), b);
    assertEquals(smallestView >= MIN_READ_VIEW, true, `a read into ${smallestView} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OverlappedWriter: a failed write is reported only once the buffer's hash is done too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Opened for reading only: every write fails at once.
    await Deno.writeFile(`${dir}/ro`, new Uint8Array(0));
    const file = await Deno.open(`${dir}/ro`, { read: true });
    let hashDone = false;
    const slowHash = {
      update() {},
      async updateOffThread() {
        await new Promise((r) => setTimeout(r, 50));
        hashDone = true;
      },
      digest: () => new Uint8Array(16),
    };
    const writer = new OverlappedWriter(file, slowHash);
    await writer.write(new Uint8Array(1000));
    const error = await writer.finish().catch((e) => e);
    file.close();
    assertEquals(error instanceof Error, true);
    // The caller may reuse the buffer now: nothing may still be reading it.
    assertEquals(hashDone, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Hostile and malformed input against a real server: each gets a clear S3
 * error, nothing is written, nothing outside the data dir is touched, and
 * the server keeps serving. Ends with a fuzz run of random requests.
 */
import {
  errorCode,
  leftoverTempFiles,
  raw,
  rawHttp,
  serverTest,
  startTestServer,
  type TestServer,
} from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";

const B = "hostile";

async function setup(t: TestServer): Promise<void> {
  assertEquals((await raw(`${t.url}/${B}`, { method: "PUT" })).status, 200);
  assertEquals((await raw(`${t.url}/${B}/keep`, { method: "PUT", body: "precious" })).status, 200);
}

/** Every file under the data dir's parent (to prove nothing lands outside the data dir). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    out.push(e.name);
  }
  return out.sort();
}

async function stillServing(t: TestServer): Promise<void> {
  const r = await raw(`${t.url}/${B}/keep`);
  assertEquals([r.status, r.text], [200, "precious"]);
}

serverTest(
  "dot segments, encoded slashes and odd bytes in keys stay inside the bucket and round-trip",
  async (t) => {
    await setup(t);
    const parent = t.dataDir.slice(0, t.dataDir.lastIndexOf("/"));
    const before = await filesUnder(parent);
    for (
      const path of [
        "/hostile/../escape",
        "/hostile/%2e%2e/%2e%2e/escape2",
        "/hostile/a/./b",
        "/hostile/a%2Fb",
        "/hostile/back\\slash",
      ]
    ) {
      const r = await rawHttp(t, `PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`);
      assertEquals(r.status, 200, path);
      const g = await rawHttp(t, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert(g.text.endsWith("abc"), path);
    }
    const list = await raw(`${t.url}/${B}?list-type=2`);
    for (const k of ["../escape", "../../escape2", "a/./b", "a/b", "back\\slash"]) {
      assert(list.text.includes(`<Key>${k}</Key>`), k);
    }
    assertEquals(await filesUnder(parent), before);
    await stillServing(t);
  },
);

serverTest("invalid keys and bucket names get S3's errors and write nothing", async (t) => {
  await setup(t);
  const cases: [string, string, number, string][] = [
    ["PUT", `/${B}/${"k".repeat(1025)}`, 400, "KeyTooLongError"],
    ["PUT", `/${B}/${"s".repeat(256)}/x`, 400, "KeyTooLongError"],
    ["PUT", `/${B}/bad%ffutf8`, 400, "InvalidURI"],
    ["PUT", `/${B}/bad%zz`, 400, "InvalidURI"],
  ];
  for (
    const name of [
      "ab",
      "A-upper",
      "-start",
      "end-",
      "a..b",
      "192.168.1.1",
      "x".repeat(64),
      "under_score",
      ".dot",
    ]
  ) {
    cases.push(["PUT", `/${name}`, 400, "InvalidBucketName"]);
  }
  for (const [method, path, status, code] of cases) {
    const r = await rawHttp(
      t,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx`,
    );
    assertEquals([r.status, errorCode(r.text)], [status, code], path.slice(0, 60));
    assert(r.text.includes("<RequestId>"));
  }
  const buckets = await raw(`${t.url}/`);
  assertEquals([...buckets.text.matchAll(/<Name>/g)].length, 1);
  await stillServing(t);
});

serverTest("garbage query parameters: huge, negative, repeated, malformed", async (t) => {
  await setup(t);
  const cases: [string, string, number, string][] = [
    ["GET", `/${B}?list-type=2&max-keys=99999999999999999999999`, 200, ""],
    ["GET", `/${B}?list-type=2&max-keys=-1`, 400, "InvalidArgument"],
    ["GET", `/${B}?max-keys=abc`, 400, "InvalidArgument"],
    ["GET", `/${B}?list-type=2&continuation-token=%00%01`, 400, "InvalidArgument"],
    ["GET", `/${B}?list-type=2&encoding-type=rot13`, 400, "InvalidArgument"],
    ["PUT", `/${B}/k?partNumber=1e400&uploadId=x`, 400, "InvalidArgument"],
    ["PUT", `/${B}/k?partNumber=1&uploadId=../../hostile`, 404, "NoSuchUpload"],
    ["DELETE", `/${B}/keep?uploadId=..`, 404, "NoSuchUpload"],
    ["GET", `/${B}/keep?uploadId=x&part-number-marker=-5`, 404, "NoSuchUpload"],
    ["GET", `/${B}?uploads&max-uploads=-3`, 400, "InvalidArgument"],
    ["GET", `/${B}?session`, 501, "NotImplemented"],
    ["DELETE", `/${B}/keep?annotation`, 501, "NotImplemented"],
  ];
  for (const [method, path, status, code] of cases) {
    const r = await raw(`${t.url}${path}`, { method, body: method === "PUT" ? "x" : undefined });
    assertEquals(r.status, status, path);
    if (code) assertEquals(errorCode(r.text), code, path);
  }
  await stillServing(t);
});

serverTest(
  "XML bodies: malformed, empty, oversized, entity bombs, external entities, deep nesting",
  async (t) => {
    await setup(t);
    const bomb =
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
      `<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Delete><Object><Key>&lol3;</Key></Object></Delete>`;
    const xxe =
      `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&x;</Key></Object></Delete>`;
    const deep = "<Delete>" + "<a>".repeat(20000) + "</a>".repeat(20000) + "</Delete>";
    const huge = "<Delete>" + "<Object><Key>keep</Key></Object>".repeat(40000) + "</Delete>";
    const bodies: [string, string, string[]][] = [
      ["malformed", "<Delete><Object><Key>keep</Key></Delete>", ["MalformedXML"]],
      ["empty", "", ["MalformedXML"]],
      ["bomb", bomb, ["MalformedXML"]],
      ["xxe", xxe, ["MalformedXML"]],
      ["deep", deep, ["MalformedXML"]],
      ["huge", huge, ["MalformedXML", "MaxMessageLengthExceeded"]],
    ];
    for (const [name, body, codes] of bodies) {
      const r = await raw(`${t.url}/${B}?delete`, { method: "POST", body });
      assertEquals(r.status, 400, name);
      assert(codes.includes(errorCode(r.text)!), `${name}: ${errorCode(r.text)}`);
      assert(!r.text.includes("root:"), "an external entity was expanded");
    }
    for (const sub of ["tagging", "cors"]) {
      const path = sub === "cors" ? `/${B}?cors` : `/${B}/keep?tagging`;
      const r = await raw(`${t.url}${path}`, { method: "PUT", body: bomb });
      assertEquals([r.status, errorCode(r.text)], [400, "MalformedXML"], sub);
    }
    await stillServing(t);
  },
);

serverTest(
  "headers: thousands of metadata headers, bad dates and ranges, short bodies and disconnects",
  async (t) => {
    await setup(t);
    const headers = new Headers();
    for (let i = 0; i < 2000; i++) headers.set(`x-amz-meta-h${i}`, "v");
    const many = await raw(`${t.url}/${B}/keep`, { method: "PUT", headers, body: "replaced" });
    // Deno's HTTP layer refuses requests with that many headers before geckos3 sees them (plain 400/431).
    assert(many.status === 400 || many.status === 431, String(many.status));
    if (many.text.includes("<Code>")) assertEquals(errorCode(many.text), "MetadataTooLarge");
    const some = new Headers();
    for (let i = 0; i < 60; i++) some.set(`x-amz-meta-h${i}`, "v".repeat(60));
    const tooLarge = await raw(`${t.url}/${B}/keep`, {
      method: "PUT",
      headers: some,
      body: "replaced",
    });
    assertEquals([tooLarge.status, errorCode(tooLarge.text)], [400, "MetadataTooLarge"]);
    let r = await raw(`${t.url}/${B}/keep`, { headers: { "if-modified-since": "not a date" } });
    assertEquals(r.status, 200);
    r = await raw(`${t.url}/${B}/keep`, { headers: { range: "bytes=500-600" } });
    assertEquals([r.status, errorCode(r.text)], [416, "InvalidRange"]);
    r = await raw(`${t.url}/${B}/keep`, { headers: { range: "bytes=garbage" } });
    assertEquals([r.status, r.text], [200, "precious"]);
    // A body shorter than its Content-Length, then a disconnect: nothing written, no temp file left.
    await rawHttp(
      t,
      `PUT /${B}/keep HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n` + "y".repeat(5000),
      true,
    );
    await rawHttp(
      t,
      `PUT /${B}/partial HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n` + "y".repeat(5000),
      true,
    );
    await new Promise((res) => setTimeout(res, 300));
    await stillServing(t);
    assertEquals((await raw(`${t.url}/${B}/partial`)).status, 404);
    assertEquals(await leftoverTempFiles(t.dataDir), [], "temp files left behind");
  },
);

Deno.test({
  name: "fuzz: 3,000 random requests never give a 500, never crash, never touch other data",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const sandbox = await Deno.makeTempDir({ prefix: "geckos3-fuzz-" });
  const t = await startTestServer({ auth: false, dataDir: `${sandbox}/data` });
  try {
    await raw(`${t.url}/fuzz-bucket`, { method: "PUT" });
    await raw(`${t.url}/keep-bucket`, { method: "PUT" });
    for (let i = 0; i < 20; i++) {
      await raw(`${t.url}/keep-bucket/obj${i}`, { method: "PUT", body: `keep ${i}` });
    }
    let seed = 4242;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const pick = <T>(a: T[]): T => a[rand(a.length)];
    const segs = [
      "a",
      "..",
      ".",
      "",
      "%2e%2e",
      "%2F",
      "%00",
      "%ff",
      "x".repeat(300),
      "ü",
      "%25",
      "+",
      "a b",
      "obj1",
      "\\",
    ];
    const subs = [
      "",
      "acl",
      "tagging",
      "cors",
      "uploads",
      "uploadId=zzz",
      "partNumber=2&uploadId=q",
      "list-type=2",
      "attributes",
      "max-keys=-9",
      "delete",
      "location",
      "versionId=1",
      "marker=%ff",
      "continuation-token=abc",
      "prefix=..",
      "delimiter=",
    ];
    const hdrs = [
      ["range", "bytes=5-1"],
      ["range", "bytes=-0"],
      ["x-amz-copy-source", "/keep-bucket/obj1"],
      ["x-amz-copy-source", "%ff"],
      ["content-md5", "zz"],
      ["x-amz-meta-a", "b"],
      ["x-amz-tagging", "a=b&&c"],
      ["x-amz-checksum-crc32", "!!!"],
      ["if-match", "*"],
      ["if-none-match", '"x"'],
      ["x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"],
      ["content-encoding", "aws-chunked"],
      ["x-amz-decoded-content-length", "5"],
      ["x-amz-metadata-directive", "MOVE"],
    ];
    const bodies = [
      "",
      "<Delete><Object><Key>a</Key></Object></Delete>",
      "<Tagging><TagSet/></Tagging>",
      "5\r\nhello\r\n0\r\n\r\n",
      "\u0000\u0001junk",
      "<",
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const bucket = rand(10) === 0
        ? "keep-bucket"
        : pick(["fuzz-bucket", "fuzz-bucket", "nope-bucket", "Bad_Name"]);
      let method = pick(["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"]);
      const sub = pick(subs);
      // Requests to keep-bucket may only read, or hit sub-resources that never change an object's bytes.
      if (
        bucket === "keep-bucket" && !["GET", "HEAD", "OPTIONS"].includes(method) &&
        !["acl", "cors", "attributes"].includes(sub)
      ) method = "GET";
      const key = Array.from({ length: rand(4) }, () => pick(segs)).join("/");
      const path = `/${bucket}${key ? "/" + key : ""}${sub ? "?" + sub : ""}`;
      const head = [`${method} ${path} HTTP/1.1`, "Host: x"];
      for (let h = rand(4); h > 0; h--) head.push(pick(hdrs).join(": "));
      const body = method === "GET" || method === "HEAD" ? "" : pick(bodies);
      head.push(`Content-Length: ${new TextEncoder().encode(body).length}`, "Connection: close");
      const r = await rawHttp(t, head.join("\r\n") + "\r\n\r\n" + body);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status >= 500 && r.status !== 501) {
        throw new Error(`${r.status} for ${method} ${path}: ${r.text.slice(0, 400)}`);
      }
    }
    assert(
      (statuses.get(400) ?? 0) > 100 && (statuses.get(200) ?? 0) + (statuses.get(204) ?? 0) > 100,
      JSON.stringify([...statuses]),
    );
    for (let i = 0; i < 20; i++) {
      assertEquals((await raw(`${t.url}/keep-bucket/obj${i}`)).text, `keep ${i}`);
    }
    assertEquals(await filesUnder(sandbox), ["data"]);
    assertEquals((await raw(`${t.url}/health`)).status, 200);
  } finally {
    await t.close();
    await Deno.remove(sandbox, { recursive: true });
  }
});

serverTest(
  "slow clients: connections trickling headers do not stop others from being served",
  async (t) => {
    await setup(t);
    const { port } = new URL(t.url);
    const slow: Deno.Conn[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      await c.write(new TextEncoder().encode(`GET /${B}/keep HTTP/1.1\r\nHost: x\r\nX-Slow: `));
      slow.push(c);
    }
    try {
      for (let i = 0; i < 20; i++) await stillServing(t);
    } finally {
      for (const c of slow) c.close();
    }
  },
);

serverTest(
  "beyond -max-requests in flight, requests get 503 SlowDown instead of queueing",
  async (t) => {
    await setup(t);
    // Hold requests in flight with bodies that never finish.
    const held: { push: (c: Uint8Array | null) => void; done: Promise<unknown> }[] = [];
    for (let i = 0; i < 4; i++) {
      let push!: (c: Uint8Array | null) => void;
      const body = new ReadableStream<Uint8Array>({
        start: (c) => void (push = (x) => (x ? c.enqueue(x) : c.close())),
      });
      const done = fetch(`${t.url}/${B}/held-${i}`, { method: "PUT", body }).then((r) => r.text())
        .catch(() => "");
      push(new Uint8Array(10));
      held.push({ push, done });
    }
    await new Promise((r) => setTimeout(r, 200));
    const r = await raw(`${t.url}/${B}/keep`);
    assertEquals([r.status, errorCode(r.text)], [503, "SlowDown"]);
    // Health checks, metrics and the console are answered outside the cap.
    for (const path of ["/health", "/health/ready", "/metrics", "/_console/"]) {
      const s = await raw(`${t.url}${path}`);
      assertEquals(s.status, 200, path);
    }
    for (const h of held) h.push(null);
    await Promise.all(held.map((h) => h.done));
    await stillServing(t);
  },
  { maxRequests: 2 },
);

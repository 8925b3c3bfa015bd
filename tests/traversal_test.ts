/**
 * No request, whatever it names, reads, creates or changes a file outside the
 * data dir: every operation of the router table is driven with traversal
 * buckets (encoded slashes, dot segments, backslashes, NUL) in path style and
 * virtual-host style, and every copy-source form is tried with CopyObject and
 * UploadPartCopy. The files around the data dir are compared byte for byte.
 */
import { routeTable } from "../src/router/router.ts";
import { errorCode, raw, rawHttp, startTestServer, type TestServer } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";

const SECRET = "TOP-SECRET-CONTENT";
const DOMAIN = "s3.test";

/** Bucket segments that name something outside the data dir once decoded. */
const HOSTILE_BUCKETS = [
  "..%2Fvictim",
  "..%2F..%2F" + "victim",
  "%2E%2E%2Fvictim",
  "%2e%2e",
  "..",
  ".",
  "..%5Cvictim",
  "legit%2F..%2F..%2Fvictim",
  "%2Fvictim",
  "victim%00",
  "..%2F",
];
const KEYS = ["secret.txt", "a/b", "fresh-file", "..%2Fsecret.txt"];
const UPLOAD_ID = "A".repeat(32);

const BODIES: Record<string, string> = {
  tagging: "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
  delete: "<Delete><Object><Key>secret.txt</Key></Object><Object><Key>a/b</Key></Object></Delete>",
  uploadId:
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"00"</ETag></Part></CompleteMultipartUpload>',
  cors:
    "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
};

/** Every file below `dir` (the data dir left out) with its bytes and mtime. */
async function snapshot(dir: string, skip: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const path = `${d}/${e.name}`;
      if (path === skip) continue;
      const info = await Deno.lstat(path);
      if (info.isDirectory) {
        out.set(path + "/", String(info.mtime?.getTime()));
        await walk(path);
      } else {
        out.set(path, `${await Deno.readTextFile(path)}|${info.mtime?.getTime()}|${info.size}`);
      }
    }
  };
  await walk(dir);
  return out;
}

function request(
  method: string,
  target: string,
  opts: { host?: string; headers?: Record<string, string>; body?: string } = {},
): string {
  const body = opts.body ?? (method === "PUT" || method === "POST" ? "x" : "");
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${opts.host ?? "127.0.0.1"}`];
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${new TextEncoder().encode(body).byteLength}`, "Connection: close");
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

/** Sends one request and checks it was refused without leaking anything. */
async function refused(t: TestServer, req: string, what: string): Promise<void> {
  const r = await rawHttp(t, req);
  assert(r.status >= 400 && r.status < 500, `${what}: status ${r.status}\n${r.text.slice(0, 400)}`);
  assert(!r.text.includes(SECRET), `${what}: leaked the file`);
}

function query(sub: string, method: string): string {
  if (sub === "") return "";
  if (sub === "uploadId") return `?uploadId=${UPLOAD_ID}&partNumber=1`;
  return method === "PUT" && sub === "uploadId" ? "" : `?${sub}`;
}

Deno.test({
  name: "no operation reaches outside the data dir through its bucket, host or copy source",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const outer = await Deno.makeTempDir({ prefix: "geckos3-traversal-" });
    const dataDir = `${outer}/data`;
    await Deno.mkdir(dataDir);
    await Deno.writeTextFile(`${outer}/secret.txt`, SECRET);
    await Deno.mkdir(`${outer}/victim/a`, { recursive: true });
    await Deno.writeTextFile(`${outer}/victim/secret.txt`, SECRET);
    await Deno.writeTextFile(`${outer}/victim/a/b`, SECRET);
    const t = await startTestServer({ dataDir, auth: false, domains: [DOMAIN] });
    try {
      assertEquals((await raw(`${t.url}/legit`, { method: "PUT" })).status, 200);
      assertEquals((await raw(`${t.url}/legit/obj`, { method: "PUT", body: "mine" })).status, 200);
      const before = await snapshot(outer, dataDir);
      let sent = 0;

      // Path style: every routed operation with every hostile bucket.
      for (const route of routeTable()) {
        if (route.level === "service") continue;
        for (const bucket of HOSTILE_BUCKETS) {
          const keys = route.level === "bucket" ? [""] : KEYS;
          for (const key of keys) {
            const target = `/${bucket}${key ? "/" + key : ""}${
              query(route.subresource, route.method)
            }`;
            const body = BODIES[route.subresource];
            await refused(t, request(route.method, target, { body }), `${route.name} ${target}`);
            sent++;
          }
        }
      }

      // Virtual-host style: hosts whose bucket part is a dot segment or worse.
      for (const host of [`..${DOMAIN}`, `...${DOMAIN}`, `victim..${DOMAIN}`, `.%2E.${DOMAIN}`]) {
        for (const [method, target] of [["GET", "/secret.txt"], ["PUT", "/fresh"], ["GET", "/"]]) {
          await refused(t, request(method, target, { host }), `${method} ${host}${target}`);
          sent++;
        }
      }

      // Copy sources naming files outside the data dir, for CopyObject and UploadPartCopy.
      const created = await raw(`${t.url}/legit/mp?uploads`, { method: "POST" });
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1];
      for (
        const source of [
          "../secret.txt",
          "/../secret.txt",
          "..%2Fsecret.txt",
          "..%2Fvictim/secret.txt",
          "/..%2Fvictim/secret.txt",
          "%2E%2E/victim/secret.txt",
          "legit%2F..%2F..%2Fvictim/secret.txt",
          "../victim/a/b",
          "./../victim/secret.txt",
          "%00/secret.txt",
        ]
      ) {
        const headers = { "x-amz-copy-source": source };
        for (const target of ["/legit/copy", `/legit/mp?partNumber=1&uploadId=${uploadId}`]) {
          await refused(t, request("PUT", target, { headers, body: "" }), `copy ${source}`);
          sent++;
        }
        // RenameObject names its source the same way (a key of the request's bucket).
        const renamed = request("PUT", "/legit/renamed?renameObject", {
          headers: { "x-amz-rename-source": source },
          body: "",
        });
        await refused(t, renamed, `rename ${source}`);
        sent++;
      }
      // The one real upload holds no part: no refused copy left one behind.
      const parts = await raw(`${t.url}/legit/mp?uploadId=${uploadId}`);
      assertEquals([parts.status, parts.text.includes("<Part>")], [200, false]);
      // A part record forged on disk to name a file outside its upload is no part.
      const etag = '"' + "0".repeat(32) + '"';
      await Deno.writeTextFile(
        `${dataDir}/.geckos3/multipart/legit/${uploadId}/1.json`,
        JSON.stringify({
          partNumber: 1,
          etag,
          size: SECRET.length,
          lastModified: new Date().toISOString(),
          file: "../../../../../secret.txt",
        }),
      );
      const listed = await raw(`${t.url}/legit/mp?uploadId=${uploadId}`);
      assertEquals(listed.text.includes("<Part>"), false);
      const completed = await raw(`${t.url}/legit/mp?uploadId=${uploadId}`, {
        method: "POST",
        body:
          `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
      });
      assertEquals([completed.status, errorCode(completed.text)], [400, "InvalidPart"]);
      assertEquals((await raw(`${t.url}/legit/mp`)).status, 404);

      assert(sent > 300, `only ${sent} requests`);
      assertEquals(await snapshot(outer, dataDir), before);
      for (const made of ["copy", "renamed"]) {
        const r = await raw(`${t.url}/legit/${made}`);
        assertEquals([r.status, errorCode(r.text)], [404, "NoSuchKey"], made);
      }
      assertEquals((await raw(`${t.url}/legit/obj`)).text, "mine");
    } finally {
      await t.close();
      await Deno.remove(outer, { recursive: true });
    }
  },
});

Deno.test("a bucket name S3 would refuse is InvalidBucketName wherever it is named", async () => {
  const t = await startTestServer({ auth: false, domains: [DOMAIN] });
  try {
    for (const target of ["/..%2Fx/k", "/%2E%2E/k", "/a%2Fb/k", "/Upper/k"]) {
      const r = await rawHttp(t, request("GET", target));
      assertEquals([r.status, errorCode(r.text)], [400, "InvalidBucketName"], target);
      assert(r.text.includes("<RequestId>"), target);
    }
    const hosted = await rawHttp(t, request("GET", "/k", { host: `..${DOMAIN}` }));
    assertEquals([hosted.status, errorCode(hosted.text)], [400, "InvalidBucketName"]);
    await raw(`${t.url}/legit`, { method: "PUT" });
    const copy = await rawHttp(
      t,
      request("PUT", "/legit/k", { headers: { "x-amz-copy-source": "..%2Fx/k" }, body: "" }),
    );
    assertEquals([copy.status, errorCode(copy.text)], [400, "InvalidBucketName"]);
  } finally {
    await t.close();
  }
});

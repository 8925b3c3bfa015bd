/**
 * Test support: a real geckos3 server on a random loopback port with a temp
 * data dir, and real clients pointed at it.
 */
import { S3Client } from "../deps/aws_sdk.ts";
import { type Config, makeConfig } from "../../src/config/mod.ts";
import { type RunningServer, startServer } from "../../src/front/server.ts";
import { createHash } from "node:crypto";

/** Credentials every test server uses. */
export const ACCESS_KEY = "geckoadmin";
/** Secret of ACCESS_KEY. */
export const SECRET_KEY = "geckoadmin";

/** A running test server with its data dir and an SDK client. */
export interface TestServer {
  /** Base URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** Absolute data directory. */
  dataDir: string;
  /** The server. */
  server: RunningServer;
  /** The configuration it runs with. */
  config: Config;
  /** AWS SDK v3 client with default settings (path style, test credentials). */
  s3: S3Client;
  /** Stops the server and removes the data dir. */
  close(): Promise<void>;
}

/** Starts a server in this process on 127.0.0.1:0 with a fresh temp data dir. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? await Deno.makeTempDir({ prefix: "geckos3-test-" });
  const config = makeConfig({
    hostname: "127.0.0.1",
    port: 0,
    listen: "127.0.0.1:0",
    ...overrides,
    dataDir,
  });
  const server = await startServer(config, { quiet: true, shutdownTimeoutMs: 2000 });
  const s3 = sdkClient(server.url);
  return {
    url: server.url,
    dataDir: server.storage.root,
    server,
    config,
    s3,
    async close() {
      s3.destroy();
      await server.shutdown();
      if (!overrides.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** An AWS SDK v3 S3 client with its default settings, pointed at `url`. */
export function sdkClient(url: string, extra: Record<string, unknown> = {}): S3Client {
  return new S3Client({
    endpoint: url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    ...extra,
  });
}

/**
 * Declares a test that gets its own server (auth off unless overridden).
 * Resource sanitizers are off: SDK clients keep pooled sockets.
 */
export function serverTest(
  name: string,
  fn: (t: TestServer) => Promise<void>,
  overrides: Partial<Config> = {},
): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const t = await startTestServer({ auth: false, ...overrides });
      try {
        await fn(t);
      } finally {
        await t.close();
      }
    },
  });
}

/** Raw fetch against the server (for requests SDKs cannot send); returns status, headers and text. */
export async function raw(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

/** The `<Code>` of an S3 error document. */
export function errorCode(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

/** Reads an SDK body (or any stream) fully to bytes. */
export async function bytesOf(body: unknown): Promise<Uint8Array> {
  const b = body as { transformToByteArray?: () => Promise<Uint8Array> };
  if (b?.transformToByteArray) return await b.transformToByteArray();
  return new Uint8Array(await new Response(body as ReadableStream).arrayBuffer());
}

/** Lower-case hex MD5 of bytes, computed independently of the server. */
export async function md5Hex(data: Uint8Array | string): Promise<string> {
  const { createHash } = await import("node:crypto");
  return createHash("md5").update(data).digest("hex");
}

/** S3's ETag of `data` uploaded in parts of `partSize`: the MD5 of the part MD5s, then `-N`. */
export function multipartEtag(data: Uint8Array, partSize: number): string {
  const h = createHash("md5");
  let n = 0;
  for (let off = 0; off < data.byteLength; off += partSize, n++) {
    h.update(createHash("md5").update(data.subarray(off, off + partSize)).digest());
  }
  return `"${h.digest("hex")}-${n}"`;
}

/** Files in the data dir's temp areas other than each process's own heartbeat and liveness lock. */
export async function leftoverTempFiles(dataDir: string): Promise<string[]> {
  const left: string[] = [];
  for await (const d of Deno.readDir(`${dataDir}/.geckos3/tmp`)) {
    for await (const f of Deno.readDir(`${dataDir}/.geckos3/tmp/${d.name}`)) {
      if (f.name !== "heartbeat.json" && f.name !== "alive.lock") left.push(`${d.name}/${f.name}`);
    }
  }
  return left;
}

/** Sends bytes over a raw TCP connection (no URL normalisation) and returns the status line and body. */
export async function rawHttp(
  t: TestServer,
  request: string | Uint8Array,
  closeEarly = false,
): Promise<{ status: number; text: string }> {
  const { port } = new URL(t.url);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  const bytes = typeof request === "string" ? new TextEncoder().encode(request) : request;
  await conn.write(bytes);
  if (closeEarly) {
    conn.close();
    return { status: 0, text: "" };
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const buf = new Uint8Array(65536);
  const deadline = setTimeout(() => conn.close(), 5000);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      const text = new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
      const head = text.indexOf("\r\n\r\n");
      const len = /content-length: (\d+)/i.exec(text)?.[1];
      if (head >= 0 && len !== undefined && text.length >= head + 4 + Number(len)) break;
    }
  } catch {
    // closed by the server or the deadline
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
  const text = new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
  return { status: Number(text.slice(9, 12)), text };
}

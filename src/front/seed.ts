/**
 * What exists at start-up: the buckets `-buckets` names, and the seed file
 * (`-seed`): buckets with their settings and objects, and users. Each
 * setting is applied through the server's own S3 operations, as the
 * administrator, so it is checked exactly as a client's request would be;
 * applying a seed again changes nothing (buckets and objects that exist
 * are kept, settings put again). Errors stop start-up with one line.
 *
 *   {"buckets": ["plain", {"name": "site", "public": true, "versioning": "Enabled",
 *     "cors": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}],
 *     "lifecycle": [{"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
 *                    "Expiration": {"Days": 1}}],
 *     "objects": "./site"}],
 *   "users": [{"accessKey": "...", "secretKey": "...", "name": "app", "policy": {...}}]}
 *
 * Settings take the JSON shapes of aws-cli (see s3/sdk_json.ts), or S3's XML
 * as a string; `policy` is the policy document.
 */
import { type SeedFile, seedFiles } from "../config/mod.ts";
import { xmlFromSdkJson } from "../s3/sdk_json.ts";
import type { RequestHandler } from "./handler.ts";

/** One bucket of a seed. */
interface BucketSeed {
  name: string;
  versioning?: "Enabled" | "Suspended";
  objectLock?: boolean;
  public?: boolean;
  policy?: unknown;
  cors?: unknown;
  lifecycle?: unknown;
  notification?: unknown;
  tags?: Record<string, string>;
  /** A directory whose files become objects (relative to the seed file). */
  objects?: string;
}

/** A seed file, parsed. */
export interface Seed {
  buckets: BucketSeed[];
  /** Users, in the users file's form. */
  users: unknown[];
  /** The seed file's directory, for relative paths. */
  dir: string;
}

/** An error of the seed, worded for the one line start-up prints. */
export class SeedError extends Error {}

/** Parses a seed file's text (from `path`); SeedError on anything S3 would not take as it is. */
export function parseSeed(text: string, path: string): Seed {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SeedError(`seed ${path}: not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new SeedError(`seed ${path}: want {"buckets": [...], "users": [...]}`);
  }
  for (const k of Object.keys(doc)) {
    if (k !== "buckets" && k !== "users") {
      throw new SeedError(`seed ${path}: unknown member "${k}"`);
    }
  }
  const buckets = (doc.buckets ?? []) as unknown[];
  const users = (doc.users ?? []) as unknown[];
  if (!Array.isArray(buckets) || !Array.isArray(users)) {
    throw new SeedError(`seed ${path}: "buckets" and "users" must be lists`);
  }
  const known = new Set([
    "name",
    "versioning",
    "objectLock",
    "public",
    "policy",
    "cors",
    "lifecycle",
    "notification",
    "tags",
    "objects",
  ]);
  return {
    buckets: buckets.map((b) => {
      const seed = typeof b === "string" ? { name: b } : b as BucketSeed;
      if (typeof seed?.name !== "string") {
        throw new SeedError(`seed ${path}: a bucket needs a "name"`);
      }
      for (const k of Object.keys(seed)) {
        if (!known.has(k)) throw new SeedError(`seed ${path}: bucket ${seed.name}: unknown "${k}"`);
      }
      return seed;
    }),
    users,
    dir: path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".",
  };
}

/** Makes what the seed and `-buckets` name, through `handle` as the administrator. */
export async function applySeed(
  handle: RequestHandler,
  seed: { buckets: readonly (string | BucketSeed)[]; dir: string },
): Promise<void> {
  const call = caller(handle);
  for (const b of seed.buckets) {
    const bucket: BucketSeed = typeof b === "string" ? { name: b } : b;
    await seedBucket(call, bucket, seed.dir);
  }
}

type Call = (
  what: string,
  req: { method: string; path: string; body?: BodyInit; headers?: Record<string, string> },
  accept?: number[],
) => Promise<Response>;

function caller(handle: RequestHandler): Call {
  const peer = {
    remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 0 },
    internal: true as const,
  };
  return async (what, r, accept = []) => {
    const res = await handle(
      new Request(`http://seed.invalid${r.path}`, {
        method: r.method,
        body: r.body,
        headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...r.headers },
      }),
      peer,
    );
    if (res.status < 300 || accept.includes(res.status)) return res;
    const text = await res.text();
    const code = /<Code>([^<]*)/.exec(text)?.[1] ?? String(res.status);
    const message = /<Message>([^<]*)/.exec(text)?.[1] ?? "";
    throw new SeedError(`seed: ${what}: ${code}${message ? `: ${message}` : ""}`);
  };
}

async function seedBucket(call: Call, b: BucketSeed, dir: string): Promise<void> {
  const at = `/${encodeURIComponent(b.name)}`;
  const what = (setting: string) => `bucket ${b.name}${setting ? ` ${setting}` : ""}`;
  const created = await call(what(""), {
    method: "PUT",
    path: at,
    headers: b.objectLock ? { "x-amz-bucket-object-lock-enabled": "true" } : {},
  }, [409]);
  if (created.status === 409) {
    const text = await created.text();
    if (!text.includes("<Code>BucketAlreadyOwnedByYou</Code>")) {
      throw new SeedError(`seed: ${what("")}: ${/<Code>([^<]*)/.exec(text)?.[1]}`);
    }
  } else await created.body?.cancel();
  const put = async (setting: string, sub: string, body: string) => {
    await (await call(what(setting), { method: "PUT", path: `${at}?${sub}`, body })).body?.cancel();
  };
  if (b.versioning || b.objectLock) {
    const status = b.objectLock ? "Enabled" : b.versioning;
    await put(
      "versioning",
      "versioning",
      `<VersioningConfiguration><Status>${status}</Status></VersioningConfiguration>`,
    );
  }
  if (b.objectLock) {
    await put(
      "objectLock",
      "object-lock",
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>",
    );
  }
  if (b.policy !== undefined || b.public) {
    const policy = b.policy ?? publicRead(b.name);
    await put("policy", "policy", typeof policy === "string" ? policy : JSON.stringify(policy));
  }
  if (b.cors !== undefined) {
    await put("cors", "cors", documentOf(b.cors, "CORSConfiguration", "CORSRules"));
  }
  if (b.lifecycle !== undefined) {
    await put("lifecycle", "lifecycle", documentOf(b.lifecycle, "LifecycleConfiguration", "Rules"));
  }
  if (b.notification !== undefined) {
    await put(
      "notification",
      "notification",
      documentOf(b.notification, "NotificationConfiguration"),
    );
  }
  if (b.tags !== undefined) {
    const Tag = Object.entries(b.tags).map(([Key, Value]) => ({ Key, Value }));
    await put("tags", "tagging", xmlFromSdkJson("Tagging", { TagSet: { Tag } }));
  }
  if (b.objects !== undefined) {
    const from = b.objects.startsWith("/") ? b.objects : `${dir}/${b.objects}`;
    for await (const file of seedFiles(from)) await seedObject(call, b.name, file);
  }
}

/**
 * A setting as S3's XML: given as XML text, or in the SDK's JSON shape (the
 * document, or just its list of rules under `list`).
 */
function documentOf(value: unknown, root: string, list?: string): string {
  if (typeof value === "string") return value;
  const doc = Array.isArray(value) && list ? { [list]: value } : value as Record<string, unknown>;
  return xmlFromSdkJson(root, doc);
}

/** An object of a seed's directory, written unless the key exists (a restart keeps changes). */
async function seedObject(call: Call, bucket: string, file: SeedFile): Promise<void> {
  const path = `/${encodeURIComponent(bucket)}/${
    file.key.split("/").map(encodeURIComponent).join("/")
  }`;
  const what = `object ${bucket}/${file.key}`;
  const head = await call(what, { method: "HEAD", path }, [404]);
  if (head.status !== 404) return;
  const res = await call(what, {
    method: "PUT",
    path,
    body: await file.open(),
    headers: { "content-type": contentTypeOf(file.key), "content-length": String(file.size) },
  });
  await res.body?.cancel();
}

/** A policy that lets anyone read the bucket's objects and list it (MinIO's "download"). */
function publicRead(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: "*",
        Action: ["s3:GetBucketLocation", "s3:ListBucket"],
        Resource: `arn:aws:s3:::${bucket}`,
      },
      {
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });
}

const TYPES: Record<string, string> = {
  html: "text/html",
  htm: "text/html",
  css: "text/css",
  js: "text/javascript",
  mjs: "text/javascript",
  json: "application/json",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  xml: "application/xml",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  ico: "image/x-icon",
  pdf: "application/pdf",
  wasm: "application/wasm",
  zip: "application/zip",
  gz: "application/gzip",
  parquet: "application/vnd.apache.parquet",
};

/** The Content-Type of a seeded object, from its extension (as `aws s3 cp` guesses it). */
function contentTypeOf(key: string): string {
  const ext = key.includes(".") ? key.slice(key.lastIndexOf(".") + 1).toLowerCase() : "";
  return TYPES[ext] ?? "binary/octet-stream";
}

/**
 * The console's admin API, for what S3 has no call for: the dashboard's
 * figures (`GET /_admin/stats`), the recent requests (`GET /_admin/activity`)
 * and users and their keys (`/_admin/users`). Requests are signed as S3
 * requests are (Signature V4); everything but `whoami` and a user's own
 * entry is for the administrator. Answers are JSON; errors are S3's XML.
 * Bucket names cannot start with "_", so no bucket is ever shadowed.
 */
import type { Authenticator, AuthResult, User, UserDirectory } from "../../auth/mod.ts";
import type { Config } from "../../config/mod.ts";
import { S3Error } from "../../errors.ts";
import { emptyResponse, responseWith } from "../../s3/response.ts";
import { readXmlBody } from "../../s3/xml.ts";
import type { Storage } from "../../storage/mod.ts";
import { versionLine } from "../../version.ts";
import type { Metrics, MetricsPeers } from "../metrics.ts";
import { selectActivity } from "./activity.ts";
import { historyPoints } from "./history.ts";
import type { UserEntry, UsersFile } from "./users_file.ts";

/** The path prefix of the admin API. */
export const ADMIN_PREFIX = "/_admin/";

/** What the admin API works with. */
export interface AdminDeps {
  config: Config;
  storage: Storage;
  authenticator: Authenticator;
  metrics: Metrics;
  peers: MetricsPeers | null;
  users: UserDirectory;
  /** The users file, when the server has one (`-credentials-file`): key management needs it. */
  usersFile: UsersFile | null;
  /** When the server started (ms since the epoch). */
  startedAt: number;
}

/** One admin request. */
export interface AdminRequest {
  req: Request;
  rawPath: string;
  rawQuery: string;
}

/** Largest admin request body. */
const MAX_BODY_BYTES = 64 * 1024;
/** How old the dashboard's counts of objects may be. */
const DASHBOARD_USAGE_AGE_MS = 5_000;

/** Answers an admin request; the operation name (for logs and metrics) comes with it. */
export async function adminEndpoint(
  deps: AdminDeps,
  x: AdminRequest,
): Promise<{ op: string; res: Response }> {
  const { req } = x;
  const query = new URLSearchParams(x.rawQuery);
  const auth = await deps.authenticator.authenticate({
    method: req.method,
    rawPath: x.rawPath,
    rawQuery: x.rawQuery,
    headers: req.headers,
    query,
  });
  const me = caller(deps, auth);
  const parts = pathParts(x.rawPath);
  const route = `${req.method} ${parts[0]}${parts.length > 1 ? "/:key" : ""}${
    parts[2] ? "/" + parts[2] : ""
  }`;
  const admin = () => {
    if (!me.root) throw new S3Error("AccessDenied", "Only the administrator may do this.");
  };
  switch (route) {
    case "GET whoami":
      return {
        op: "AdminWhoAmI",
        res: json({
          accessKey: me.user?.accessKey ?? null,
          name: me.user?.name ?? "anonymous",
          root: me.root,
          usersFile: deps.usersFile !== null,
        }),
      };
    case "GET stats":
      admin();
      return { op: "AdminStats", res: json(await stats(deps, query.has("fresh"))) };
    case "GET activity": {
      admin();
      const lists = [
        deps.metrics.activity.entries(),
        ...(await fullPeers(deps)).map((s) => s.activity ?? []),
      ];
      const entries = selectActivity(lists, {
        text: query.get("q") ?? "",
        errorsOnly: query.get("errors") === "1",
        limit: Math.max(1, Math.min(Number(query.get("limit")) || 200, 1000)),
      });
      return { op: "AdminActivity", res: json({ entries }) };
    }
    case "GET users": {
      const listed = me.root ? deps.users.listed() : me.user ? [me.user] : [];
      return { op: "AdminListUsers", res: json({ users: listed.map(describeUser) }) };
    }
    case "POST users": {
      admin();
      const body = await jsonBody(deps, req, auth);
      return { op: "AdminCreateUser", res: json(await createUser(deps, body)) };
    }
    case "POST users/:key/rotate":
      admin();
      return { op: "AdminRotateKey", res: json(await rotateKey(deps, parts[1])) };
    case "PUT users/:key": {
      admin();
      const body = await jsonBody(deps, req, auth);
      await editUser(deps, parts[1], (entry) => {
        if ("disabled" in body) {
          if (typeof body.disabled !== "boolean") {
            throw new S3Error("InvalidArgument", "disabled must be true or false.");
          }
          if (body.disabled) entry.disabled = true;
          else delete entry.disabled;
        }
        if ("policy" in body) {
          if (body.policy === null) delete entry.policy;
          else entry.policy = body.policy;
        }
      });
      return { op: "AdminEditUser", res: emptyResponse(204) };
    }
    case "DELETE users/:key":
      admin();
      await editUser(deps, parts[1], null);
      return { op: "AdminDeleteUser", res: emptyResponse(204) };
  }
  throw new S3Error("InvalidURI", "No such admin call.");
}

/** The decoded segments of an admin path; InvalidURI for an escape that does not decode. */
function pathParts(rawPath: string): string[] {
  try {
    return rawPath.slice(ADMIN_PREFIX.length).split("/").map(decodeURIComponent);
  } catch {
    throw new S3Error("InvalidURI");
  }
}

/** Who sent an admin request. */
function caller(deps: AdminDeps, auth: AuthResult): { root: boolean; user: User | null } {
  if (!deps.config.auth) return { root: true, user: deps.users.user(deps.config.accessKey)! };
  if (auth.accessKey === null) throw new S3Error("AccessDenied", "Admin calls must be signed.");
  const user = deps.users.user(auth.accessKey) ?? null;
  return { root: user?.root === true, user };
}

async function fullPeers(deps: AdminDeps) {
  return deps.peers ? await deps.peers.collect(500, true) : [];
}

async function stats(deps: AdminDeps, fresh: boolean) {
  const usage = await deps.metrics.usage(deps.storage, fresh ? 0 : DASHBOARD_USAGE_AGE_MS);
  const peers = await fullPeers(deps);
  return {
    version: versionLine(),
    startedAt: new Date(deps.startedAt).toISOString(),
    countedAt: new Date(usage.at).toISOString(),
    totals: usage.totals,
    buckets: usage.buckets,
    inflight: deps.metrics.inflight + peers.reduce((n, s) => n + s.inflight, 0),
    history: historyPoints([deps.metrics.history.steps(), ...peers.map((s) => s.history ?? [])]),
  };
}

/** A user as the console lists it: never the secret. */
function describeUser(u: User) {
  return {
    accessKey: u.accessKey,
    name: u.name,
    root: u.root,
    disabled: u.disabled === true,
    policy: u.policyDocument ?? null,
  };
}

function needUsersFile(deps: AdminDeps): UsersFile {
  if (!deps.usersFile) {
    throw new S3Error(
      "InvalidRequest",
      "Managing users needs a users file: start geckos3 with -credentials-file FILE.",
    );
  }
  return deps.usersFile;
}

/** A new key pair: an access key id of 20 and a secret of 40 characters, as AWS's look. */
function newKeys(): { accessKey: string; secretKey: string } {
  const pick = (alphabet: string, n: number) => {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    // Both alphabets' lengths (32, 64) divide 256: every character is equally likely, and the
    // secret's 40 characters carry 240 bits.
    return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
  };
  return {
    accessKey: "GK" + pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 18),
    secretKey: pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40),
  };
}

async function createUser(deps: AdminDeps, body: Record<string, unknown>) {
  const file = needUsersFile(deps);
  if (typeof body.name !== "string" || body.name === "") {
    throw new S3Error("InvalidArgument", "A new user needs a name.");
  }
  const keys = newKeys();
  const entry: UserEntry = { ...keys, name: body.name };
  if (body.policy !== undefined && body.policy !== null) entry.policy = body.policy;
  await file.update((entries) => void entries.push(entry));
  return { ...keys, name: body.name };
}

async function rotateKey(deps: AdminDeps, accessKey: string) {
  const keys = newKeys();
  let name = "";
  await needUsersFile(deps).update((entries) => {
    const entry = entryOf(deps, entries, accessKey);
    // The name stays: policies and logs name users, not keys.
    entry.name ??= accessKey;
    name = String(entry.name);
    Object.assign(entry, keys);
  });
  return { ...keys, name };
}

/** Changes (or, with null, deletes) the entry of `accessKey`. */
async function editUser(
  deps: AdminDeps,
  accessKey: string,
  change: ((entry: UserEntry) => void) | null,
): Promise<void> {
  await needUsersFile(deps).update((entries) => {
    const entry = entryOf(deps, entries, accessKey);
    if (change) change(entry);
    else entries.splice(entries.indexOf(entry), 1);
  });
}

function entryOf(deps: AdminDeps, entries: UserEntry[], accessKey: string): UserEntry {
  if (accessKey === deps.config.accessKey) {
    throw new S3Error(
      "InvalidArgument",
      "The administrator's key is set by -access-key and -secret-key, not in the users file.",
    );
  }
  const entry = entries.find((e) => e.accessKey === accessKey);
  if (!entry) throw new S3Error("InvalidArgument", `No user has the access key ${accessKey}.`);
  return entry;
}

/**
 * The JSON object a change carries. With auth on its bytes must be signed
 * (`x-amz-content-sha256` their SHA-256, checked while read): a key is
 * made or changed only by exactly what the administrator sent.
 */
async function jsonBody(
  deps: AdminDeps,
  req: Request,
  auth: AuthResult,
): Promise<Record<string, unknown>> {
  if (deps.config.auth && !/^[0-9a-f]{64}$/.test(req.headers.get("x-amz-content-sha256") ?? "")) {
    throw new S3Error("AccessDenied", "Admin changes must sign their payload.");
  }
  const decoded = deps.authenticator.decodeBody(req.body, req.headers, auth);
  const text = await readXmlBody(decoded.stream, MAX_BODY_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text || "{}");
  } catch {
    throw new S3Error("InvalidArgument", "The body must be a JSON object.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new S3Error("InvalidArgument", "The body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}

function json(value: unknown): Response {
  return responseWith(JSON.stringify(value), 200, {
    "content-type": "application/json",
    "cache-control": "no-store",
  });
}

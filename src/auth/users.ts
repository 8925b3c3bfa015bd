/**
 * The users a server knows: the administrator (`-access-key`/`-secret-key`,
 * the account's root) and those of the users file, each with a secret, a
 * name and an optional inline policy. The file is read again when it
 * changes; replace() swaps the whole set at once.
 *
 * The file is JSON, either
 * `{"users": [{"accessKey", "secretKey", "name"?, "policy"?, "disabled"?}]}`, or the
 * older `{"<accessKey>": "<secretKey>"}`, whose users keep the full access
 * they had before users had policies.
 */
import { parsePolicyObject, type Policy, PolicyError } from "./policy/mod.ts";

/** One known user. */
export interface User {
  /** Access key id. */
  accessKey: string;
  /** Secret access key. */
  secretKey: string;
  /** User name (`aws:username`, `arn:aws:iam::000000000000:user/<name>`); the access key when unnamed. */
  name: string;
  /** Whether this is the administrator (the account's root user): allowed everything. */
  root: boolean;
  /** The user's inline policy; null grants nothing beyond bucket policies and ACLs. */
  policy: Policy | null;
  /** The inline policy as written in the file (the console shows it). */
  policyDocument?: unknown;
  /** A disabled user's key is refused as unknown (the console's "disable"). */
  disabled?: boolean;
}

/** Inline policy of the users of an old-style file: everything, as they had before. */
const FULL_ACCESS = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
};

/**
 * A users file's entries as written, in the `{"users": [...]}` form (an
 * older file's users get the full access they had), to edit and write back;
 * throws an Error saying what is wrong.
 */
export function usersDocument(text: string): { users: Record<string, unknown>[] } {
  const record = jsonObject(text);
  if (Array.isArray(record.users)) return { users: record.users as Record<string, unknown>[] };
  return {
    users: Object.entries(record).map(([accessKey, secretKey]) => ({
      accessKey,
      secretKey,
      policy: FULL_ACCESS,
    })),
  };
}

function jsonObject(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new Error('must be a JSON object: {"users": [...]} or {"accessKey": "secretKey"}');
  }
  return doc as Record<string, unknown>;
}

/** Parses a users file; throws an Error saying what is wrong. */
export function parseUsersFile(text: string): User[] {
  const record = jsonObject(text);
  const users = Array.isArray(record.users)
    ? record.users.map((u, i) => parseUser(u, i))
    : Object.entries(record).map(([accessKey, secret], i) =>
      parseUser({ accessKey, secretKey: secret, policy: FULL_ACCESS }, i)
    );
  const keys = new Set<string>();
  const names = new Set<string>();
  for (const u of users) {
    if (keys.has(u.accessKey)) throw new Error(`access key "${u.accessKey}" is listed twice`);
    if (names.has(u.name)) throw new Error(`user name "${u.name}" is used twice`);
    keys.add(u.accessKey);
    names.add(u.name);
  }
  return users;
}

function parseUser(raw: unknown, index: number): User {
  const where = `user ${index + 1}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${where} must be an object`);
  }
  const u = raw as Record<string, unknown>;
  for (const field of Object.keys(u)) {
    if (!["accessKey", "secretKey", "name", "policy", "disabled"].includes(field)) {
      throw new Error(`${where}: unknown field "${field}"`);
    }
  }
  if (typeof u.accessKey !== "string" || !/^[\x21-\x7e]{1,128}$/.test(u.accessKey)) {
    throw new Error(`${where}: accessKey must be 1 to 128 printable characters`);
  }
  if (typeof u.secretKey !== "string" || u.secretKey === "") {
    throw new Error(`${where} (${u.accessKey}): secretKey must be a non-empty string`);
  }
  if (u.name !== undefined && (typeof u.name !== "string" || !/^[\w+=,.@-]{1,64}$/.test(u.name))) {
    throw new Error(`${where} (${u.accessKey}): name must be 1 to 64 of A-Z a-z 0-9 _+=,.@-`);
  }
  if (u.disabled !== undefined && typeof u.disabled !== "boolean") {
    throw new Error(`${where} (${u.accessKey}): disabled must be true or false`);
  }
  let policy: Policy | null = null;
  if (u.policy !== undefined) {
    try {
      policy = parsePolicyObject(u.policy, { kind: "identity" });
    } catch (e) {
      if (e instanceof PolicyError) {
        throw new Error(`${where} (${u.accessKey}): policy: ${e.message}`);
      }
      throw e;
    }
  }
  return {
    accessKey: u.accessKey,
    secretKey: u.secretKey,
    name: (u.name as string | undefined) ?? u.accessKey,
    root: false,
    policy,
    ...(u.policy !== undefined ? { policyDocument: u.policy } : {}),
    ...(u.disabled ? { disabled: true } : {}),
  };
}

/** The users of a server, looked up by access key; replaced whole when the file changes. */
export class UserDirectory {
  #byKey = new Map<string, User>();
  #disabled: User[] = [];
  readonly #root: User;

  /** A directory of the administrator and `users`. */
  constructor(root: { accessKey: string; secretKey: string }, users: User[] = []) {
    this.#root = { ...root, name: "root", root: true, policy: null };
    this.replace(users);
  }

  /** Replaces the file's users (the administrator stays, and wins a clash of keys). */
  replace(users: User[]): void {
    this.#disabled = users.filter((u) => u.disabled);
    const next = new Map(users.filter((u) => !u.disabled).map((u) => [u.accessKey, u]));
    next.set(this.#root.accessKey, this.#root);
    this.#byKey = next;
  }

  /** The user with this access key. */
  user(accessKey: string): User | undefined {
    return this.#byKey.get(accessKey);
  }

  /** The secret of an access key (for signature checks). */
  get(accessKey: string): string | undefined {
    return this.#byKey.get(accessKey)?.secretKey;
  }

  /** Every user that may sign requests, the administrator first. */
  all(): User[] {
    return [this.#root, ...[...this.#byKey.values()].filter((u) => !u.root)];
  }

  /** Every user, disabled ones too (for the console's user list). */
  listed(): User[] {
    return [...this.all(), ...this.#disabled];
  }
}

/**
 * Who may do what: the one place a request is authorized, after it is
 * authenticated and routed and before its operation runs. The
 * administrator may do everything. Anyone else is judged as S3 judges a
 * request within one account: an explicit Deny in the user's policy or the
 * bucket policy refuses; otherwise an Allow in either, or an ACL grant,
 * permits; otherwise the request is refused
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html).
 */
import { S3Error } from "../../errors.ts";
import type { AuthResult, User, UserDirectory } from "../../auth/mod.ts";
import {
  type ConditionValues,
  type Decision,
  evaluate,
  type Principal,
} from "../../auth/policy/mod.ts";
import type { Storage } from "../../storage/mod.ts";
import {
  aclsEnabled,
  type BucketAccess,
  checkAclAllowed,
  readBucketAccess,
} from "../../s3/access_docs.ts";
import { aclFromHeaders, ALL_USERS, AUTHENTICATED_USERS } from "../../s3/acl.ts";
import { resolveCopySource } from "../../s3/names.ts";
import { BucketConfigCache } from "../../s3/bucket_cache.ts";
import { actionOf, bucketGrantFor, copySourceAction, objectGrantFor } from "./actions.ts";
import { conditionValues, type RequestFacts } from "./facts.ts";

/** Who sent a request. */
export interface Caller {
  /** As policies see it. */
  principal: Principal;
  /** The user, unless anonymous. */
  user: User | null;
}

/** A routed request to authorize. */
export interface AccessQuery {
  /** The operation's name. */
  operation: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
  headers: Headers;
  auth: AuthResult;
  /** The peer's address. */
  sourceIp: string;
}

/** What the front keeps of an authorized request: further questions about it. */
export interface Authorization {
  /** The caller. */
  caller: Caller;
  /** Whether the caller may do `action` on `key` (none: the bucket) of `bucket`. */
  permits(action: string, key?: string, bucket?: string): Promise<boolean>;
}

/** Operations that store an object and take its ACL from the request's headers (a POST's fields). */
const ACL_WRITES = new Set(["PutObject", "PostObject", "CopyObject", "CreateMultipartUpload"]);

/** The access decisions of one server, with each bucket's settings cached while unchanged. */
export class AccessControl {
  /** Decides over `storage`'s buckets for `users`; `secure` when serving TLS (`aws:SecureTransport`). */
  constructor(
    private storage: Storage,
    private users: UserDirectory,
    private options: { enabled: boolean; secure: boolean },
  ) {}

  /** Authorizes a request: throws AccessDenied (or the ACL rules' errors) when it may not run. */
  async authorize(q: AccessQuery): Promise<Authorization> {
    const caller = this.#caller(q.auth);
    const versioned = q.query.has("versionId");
    const facts: RequestFacts = {
      principal: caller.principal,
      accessKey: caller.user?.accessKey ?? null,
      auth: q.auth,
      headers: q.headers,
      query: q.query,
      sourceIp: q.sourceIp,
      secure: this.options.secure,
    };
    const permits = (action: string, key = "", bucket = q.bucket) =>
      this.#allows(caller, { action: action.toLowerCase(), bucket, key, facts, versioned });
    const authorization = { caller, permits };
    // A POST upload's form says who sends it: the operation asks again once it has read the
    // fields, with the form's signer, key and fields (RequestContext.authorizeAs).
    if (q.operation === "PostObject" && q.auth.authType !== "POST") return authorization;
    if (ACL_WRITES.has(q.operation) && q.bucket !== "") {
      const grants = aclFromHeaders(q.headers);
      if (grants) checkAclAllowed(await this.bucketAccess(q.bucket), grants);
    }
    if (caller.principal.type === "root") return authorization;
    const action = actionOf(q.operation, versioned);
    if (action === undefined) throw new S3Error("AccessDenied");
    if (action === "s3:listallmybuckets") {
      // Anyone signed may ask; the listing shows what the caller may list.
      if (caller.principal.type === "anonymous") throw new S3Error("AccessDenied");
      return authorization;
    }
    if (action !== "" && !(await permits(action, q.key))) throw new S3Error("AccessDenied");
    const copySource = q.headers.get("x-amz-copy-source");
    if (copySource !== null && (q.operation === "CopyObject" || q.operation === "UploadPartCopy")) {
      const src = resolveCopySource(copySource);
      const allowed = await this.#allows(caller, {
        action: copySourceAction(src.versionId !== undefined),
        bucket: src.bucket,
        key: src.key,
        facts,
        versioned: src.versionId !== undefined,
        versionId: src.versionId,
      });
      if (!allowed) throw new S3Error("AccessDenied");
    }
    return authorization;
  }

  /** A bucket's access settings, read again only when its configuration changed. */
  async bucketAccess(bucket: string): Promise<BucketAccess> {
    return await accessCache.get(this.storage, bucket);
  }

  #caller(auth: AuthResult): Caller {
    if (!this.options.enabled) return { principal: { type: "root" }, user: null };
    if (auth.anonymous || auth.accessKey === null) {
      return { principal: { type: "anonymous" }, user: null };
    }
    const user = this.users.user(auth.accessKey);
    // A key removed from the users file since its request was verified has no rights left.
    if (!user) return { principal: { type: "anonymous" }, user: null };
    return { principal: user.root ? { type: "root" } : { type: "user", name: user.name }, user };
  }

  async #allows(caller: Caller, c: Check): Promise<boolean> {
    if (caller.principal.type === "root") return true;
    const user = caller.user;
    const resource = c.key === ""
      ? `arn:aws:s3:::${c.bucket}`
      : `arn:aws:s3:::${c.bucket}/${c.key}`;
    if (c.action === "s3:listallmybuckets") {
      // IAM names the resource of ListAllMyBuckets `arn:aws:s3:::*`; a policy may say `*`.
      const all = { ...c, resource: "arn:aws:s3:::*" };
      return decide(user, null, all, conditionValues(c.facts)) === "allow";
    }
    if (c.action === "s3:createbucket" || c.bucket === "") {
      return decide(user, null, { ...c, resource }, conditionValues(c.facts)) === "allow";
    }
    const access = await this.bucketAccess(c.bucket);
    let facts = c.facts;
    if (c.key !== "" && (user?.policy?.readsObjectTags || access.policy?.readsObjectTags)) {
      facts = { ...facts, objectTags: this.#objectMeta(c)?.tags ?? {} };
    }
    const values = conditionValues(facts);
    let bucketDecision: Decision = access.policyBroken ? "deny" : "none";
    if (access.policy) {
      bucketDecision = evaluate(access.policy, {
        principal: caller.principal,
        action: c.action,
        resource,
        values,
      });
      // RestrictPublicBuckets: a public policy grants nothing outside the account.
      if (
        bucketDecision === "allow" && caller.principal.type === "anonymous" &&
        access.block?.RestrictPublicBuckets && access.policyPublic
      ) bucketDecision = "none";
    }
    const decision = decide(user, bucketDecision, { ...c, resource }, values);
    if (decision !== "none") return decision === "allow";
    return this.#aclAllows(caller, c, access);
  }

  /** Whether the bucket's or the object's ACL grants the action. */
  #aclAllows(caller: Caller, c: Check, access: BucketAccess): boolean {
    if (!aclsEnabled(access)) return false;
    const ignorePublic = access.block?.IgnorePublicAcls === true;
    // An object's READ and ACP permissions are its own ACL's; the others, its bucket's.
    const objectPermission = c.key === "" ? undefined : objectGrantFor(c.action);
    const needed = objectPermission ?? bucketGrantFor(c.action);
    if (!needed) return false;
    const grants = objectPermission ? this.#objectMeta(c)?.acl : access.acl;
    if (!grants) return false;
    return grants.some((g) => {
      if (g.permission !== needed && g.permission !== "FULL_CONTROL") return false;
      if (g.uri === ALL_USERS) return !ignorePublic;
      if (g.uri === AUTHENTICATED_USERS) {
        return !ignorePublic && caller.principal.type !== "anonymous";
      }
      return false; // the owner's own grants: the administrator is allowed already
    });
  }

  #objectMeta(c: Check) {
    try {
      return this.storage.headObject(c.bucket, c.key, c.versionId ?? versionOf(c.facts));
    } catch {
      return null; // no such object or version: nothing granted by it
    }
  }
}

/** One question: may the caller do `action` on `key` of `bucket`? */
interface Check {
  action: string;
  bucket: string;
  key: string;
  facts: RequestFacts;
  versioned: boolean;
  /** The version asked about, when not the request's own (a copy source's). */
  versionId?: string;
}

/** Every bucket's access settings, by store. */
const accessCache = new BucketConfigCache<BucketAccess>(readBucketAccess);

function versionOf(facts: RequestFacts): string | undefined {
  return facts.query.get("versionId") ?? undefined;
}

/** The user's policy and the bucket policy's decision combined: a Deny in either wins. */
function decide(
  user: User | null,
  bucketDecision: Decision | null,
  c: Check & { resource: string },
  values: ConditionValues,
): Decision {
  const userDecision: Decision = user?.policy
    ? evaluate(user.policy, {
      principal: { type: "user", name: user.name },
      action: c.action,
      resource: c.resource,
      values,
    })
    : "none";
  if (userDecision === "deny" || bucketDecision === "deny") return "deny";
  if (userDecision === "allow" || bucketDecision === "allow") return "allow";
  return "none";
}

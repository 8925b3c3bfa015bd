/**
 * Policy documents: the JSON grammar S3 accepts for bucket policies and IAM
 * accepts for a user's inline policy, parsed into statements ready to
 * evaluate. Whatever S3 refuses throws PolicyError with S3's message
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
 */
import { type ResourceKind, S3_ACTIONS } from "./actions.ts";
import { type ConditionClause, parseConditions } from "./conditions.ts";
import { PolicyError } from "./policy_error.ts";
import { wildcard } from "./wildcard.ts";

/** The principals a statement names. */
export interface Principals {
  /** `"*"` or `{"AWS": "*"}`: everyone, anonymous included. */
  any: boolean;
  /** AWS principals: account ids and IAM ARNs, as written. */
  aws: string[];
  /** Canonical user ids. */
  canonical: string[];
}

/** A resource pattern: compiled once, or per request when it holds policy variables. */
export interface ResourcePattern {
  /** The pattern as written. */
  text: string;
  /** The compiled pattern; null when it has variables. */
  re: RegExp | null;
}

/** One statement, parsed. */
export interface Statement {
  /** Sid ("" when none). */
  sid: string;
  /** Allow or Deny. */
  effect: "Allow" | "Deny";
  /** Principal; null in an identity policy. */
  principal: Principals | null;
  /** NotPrincipal; null when absent. */
  notPrincipal: Principals | null;
  /** Action patterns (lower case), or null when the statement uses NotAction. */
  actions: RegExp[] | null;
  /** NotAction patterns, or null. */
  notActions: RegExp[] | null;
  /** Resource patterns, or null when the statement uses NotResource. */
  resources: ResourcePattern[] | null;
  /** NotResource patterns, or null. */
  notResources: ResourcePattern[] | null;
  /** Condition clauses; all must hold. */
  conditions: ConditionClause[];
}

/** A parsed policy document. */
export interface Policy {
  /** Its statements, in order. */
  statements: Statement[];
  /** Whether a condition reads the object's current tags (`s3:ExistingObjectTag/<key>`). */
  readsObjectTags: boolean;
}

/** What kind of policy a document is. */
export interface PolicyKind {
  /** `bucket`: a bucket policy (Principal required; resources of `bucket` only); `identity`: a user's policy. */
  kind: "bucket" | "identity";
  /** The bucket a bucket policy is attached to. */
  bucket?: string;
}

const VERSIONS = new Set(["2012-10-17", "2008-10-17"]);
const TOP_FIELDS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_FIELDS = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);

const INVALID_JSON = "This policy contains invalid Json";

/** Parses and validates a policy document; throws PolicyError with S3's message. */
export function parsePolicy(text: string, kind: PolicyKind): Policy {
  if (!text.trimStart().startsWith("{")) {
    throw new PolicyError("Policies must be valid JSON and the first byte must be '{'");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicyError(INVALID_JSON);
  }
  return parsePolicyObject(doc, kind);
}

/** Validates a policy already parsed from JSON (a users file's inline policy). */
export function parsePolicyObject(doc: unknown, kind: PolicyKind): Policy {
  if (!isRecord(doc)) throw new PolicyError(INVALID_JSON);
  for (const field of Object.keys(doc)) {
    if (!TOP_FIELDS.has(field)) throw new PolicyError(`Unknown field ${field}`);
  }
  if (doc.Version !== undefined && !VERSIONS.has(doc.Version as string)) {
    throw new PolicyError("The policy must contain a valid version string");
  }
  if (doc.Statement === undefined) throw new PolicyError("Missing required field Statement");
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (raw.length === 0) throw new PolicyError("Could not parse the policy: Statement is empty!");
  const sids = new Set<string>();
  const statements = raw.map((s) => {
    const statement = parseStatement(s, kind);
    if (statement.sid !== "") {
      if (sids.has(statement.sid)) {
        throw new PolicyError("Statement IDs (SID) in a single policy must be unique");
      }
      sids.add(statement.sid);
    }
    return statement;
  });
  return {
    statements,
    readsObjectTags: statements.some((s) =>
      s.conditions.some((c) => c.key.startsWith("s3:existingobjecttag/"))
    ),
  };
}

function parseStatement(raw: unknown, kind: PolicyKind): Statement {
  if (!isRecord(raw)) throw new PolicyError(INVALID_JSON);
  for (const field of Object.keys(raw)) {
    if (!STATEMENT_FIELDS.has(field)) throw new PolicyError(`Unknown field ${field}`);
  }
  if (raw.Sid !== undefined && typeof raw.Sid !== "string") throw new PolicyError(INVALID_JSON);
  if (raw.Effect === undefined) throw new PolicyError("Missing required field Effect");
  if (raw.Effect !== "Allow" && raw.Effect !== "Deny") {
    throw new PolicyError(`Invalid effect: ${String(raw.Effect)}`);
  }
  const hasPrincipal = raw.Principal !== undefined || raw.NotPrincipal !== undefined;
  if (kind.kind === "bucket" && !hasPrincipal) {
    throw new PolicyError("Missing required field Principal");
  }
  if (kind.kind === "identity" && hasPrincipal) {
    throw new PolicyError("Policy document should not specify a principal.");
  }
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) {
    throw new PolicyError("Invalid principal in policy");
  }
  const actions = oneOf(raw, "Action", "NotAction");
  const resources = oneOf(raw, "Resource", "NotResource");
  const statement: Statement = {
    sid: (raw.Sid as string | undefined) ?? "",
    effect: raw.Effect,
    principal: raw.Principal === undefined ? null : parsePrincipals(raw.Principal),
    notPrincipal: raw.NotPrincipal === undefined ? null : parsePrincipals(raw.NotPrincipal),
    actions: actions.not ? null : actions.values.map(parseAction),
    notActions: actions.not ? actions.values.map(parseAction) : null,
    resources: resources.not ? null : resources.values.map((r) => parseResource(r, kind)),
    notResources: resources.not ? resources.values.map((r) => parseResource(r, kind)) : null,
    conditions: parseConditions(raw.Condition),
  };
  if (kind.kind === "bucket" && !actions.not && !resources.not) {
    checkApplies(actions.values, resources.values);
  }
  return statement;
}

/** The values of exactly one of `name` / `notName` (strings, one or a list). */
function oneOf(
  raw: Record<string, unknown>,
  name: string,
  notName: string,
): { not: boolean; values: string[] } {
  const a = raw[name];
  const b = raw[notName];
  if (a === undefined && b === undefined) throw new PolicyError(`Missing required field ${name}`);
  if (a !== undefined && b !== undefined) throw new PolicyError(INVALID_JSON);
  const value = a ?? b;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || values.some((v) => typeof v !== "string")) {
    throw new PolicyError(INVALID_JSON);
  }
  return { not: a === undefined, values: values as string[] };
}

const AWS_PRINCIPAL =
  /^(\*|\d{12}|arn:aws:iam::\d{12}:(root|user\/[\w+=,.@\/-]+|role\/[\w+=,.@\/-]+))$/;

function parsePrincipals(raw: unknown): Principals {
  const p: Principals = { any: false, aws: [], canonical: [] };
  if (raw === "*") return { ...p, any: true };
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    throw new PolicyError("Invalid principal in policy");
  }
  for (const [type, value] of Object.entries(raw)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || values.some((v) => typeof v !== "string")) {
      throw new PolicyError("Invalid principal in policy");
    }
    for (const v of values as string[]) {
      if (type === "AWS" && AWS_PRINCIPAL.test(v)) {
        if (v === "*") p.any = true;
        else p.aws.push(v);
      } else if (type === "CanonicalUser" && /^[0-9a-f]{64}$/.test(v)) {
        p.canonical.push(v);
      } else if (type === "Service" && /^[a-z0-9.-]+\.amazonaws\.com$/.test(v)) {
        // A service principal is valid, and no request here is ever a service's.
      } else {
        throw new PolicyError("Invalid principal in policy");
      }
    }
  }
  return p;
}

function parseAction(action: string): RegExp {
  const re = wildcard(action, true);
  const known = action === "*" ||
    (action.toLowerCase().startsWith("s3:") && [...S3_ACTIONS.keys()].some((a) => re.test(a)));
  if (!known) throw new PolicyError("Policy has invalid action");
  return re;
}

const S3_ARN = "arn:aws:s3:::";

function parseResource(resource: string, kind: PolicyKind): ResourcePattern {
  if (kind.kind === "bucket") {
    if (!resource.startsWith(S3_ARN)) throw new PolicyError("Policy has invalid resource");
    const bucketPart = resource.slice(S3_ARN.length).split("/")[0];
    if (!wildcard(bucketPart).test(kind.bucket ?? "")) {
      throw new PolicyError("Policy has invalid resource");
    }
  } else if (resource !== "*" && !resource.startsWith("arn:")) {
    throw new PolicyError(`Resource ${resource} must be in ARN format or "*".`);
  }
  return { text: resource, re: resource.includes("${") ? null : wildcard(resource) };
}

/** Refuses a statement whose actions all apply to kinds of resource it does not name. */
function checkApplies(actions: string[], resources: string[]): void {
  const kinds = new Set<ResourceKind>();
  for (const r of resources) {
    if (r === "*" || r.endsWith("*")) {
      kinds.add("bucket").add("object").add("service");
    } else if (r.startsWith(S3_ARN)) {
      kinds.add(r.slice(S3_ARN.length).includes("/") ? "object" : "bucket");
    }
  }
  for (const action of actions) {
    const re = wildcard(action, true);
    for (const [name, kind] of S3_ACTIONS) {
      if (re.test(name) && kinds.has(kind)) return;
    }
  }
  throw new PolicyError("Action does not apply to any resource(s) in statement");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A policy's Condition block: the operators IAM defines (String, Numeric,
 * Date, Bool, IpAddress, Arn, Binary, Null; with `IfExists` and the
 * `ForAnyValue:` / `ForAllValues:` set forms), on the global `aws:` keys and
 * S3's own `s3:` keys
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 */
import { PolicyError } from "./policy_error.ts";
import { inBlock, parseCidr, parseIp } from "./ip.ts";
import { wildcard } from "./wildcard.ts";
import { type ConditionValues, literal, substitute } from "./variables.ts";

export type { ConditionValues } from "./variables.ts";

/** One test of a Condition block: an operator applied to one key and its values. */
export interface ConditionClause {
  /** The operator without its set prefix and `IfExists` suffix, e.g. `StringLike`. */
  operator: string;
  /** `IfExists`: a key missing from the request passes. */
  ifExists: boolean;
  /** The set form, for keys with several values in a request. */
  quantifier: "" | "ForAnyValue" | "ForAllValues";
  /** The condition key, lower case (keys compare without case). */
  key: string;
  /** The values the policy names. */
  values: string[];
}

const OPERATORS = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Null",
]);

/** Operators that hold when nothing matches, so also when the request lacks the key. */
const NEGATED = new Set([
  "StringNotEquals",
  "StringNotEqualsIgnoreCase",
  "StringNotLike",
  "NumericNotEquals",
  "DateNotEquals",
  "NotIpAddress",
  "ArnNotEquals",
  "ArnNotLike",
]);

/** Operators whose values are wildcard patterns. */
const PATTERNS = new Set([
  "StringLike",
  "StringNotLike",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
]);

/** S3's own condition keys (lower case); tag keys are checked by prefix. */
const S3_KEYS = new Set(
  [
    "prefix",
    "delimiter",
    "max-keys",
    "x-amz-acl",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-storage-class",
    "x-amz-website-redirect-location",
    "x-amz-content-sha256",
    "versionid",
    "authtype",
    "signatureversion",
    "signatureage",
    "tlsversion",
    "locationconstraint",
    "requestobjecttagkeys",
    "object-lock-mode",
    "object-lock-retain-until-date",
    "object-lock-remaining-retention-days",
    "object-lock-legal-hold",
    "resourceaccount",
    "accesspointnetworkorigin",
    "dataaccesspointaccount",
    "dataaccesspointarn",
    "if-match",
    "if-none-match",
    "objectcreationoperation",
  ].map((k) => `s3:${k}`),
);
const S3_KEY_PREFIXES = ["s3:existingobjecttag/", "s3:requestobjecttag/"];

const INVALID_KEY = "Policy has an invalid condition key";

/** Parses a statement's Condition element; throws PolicyError for what IAM refuses. */
export function parseConditions(raw: unknown): ConditionClause[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) throw new PolicyError("Invalid Condition block");
  const clauses: ConditionClause[] = [];
  for (const [name, block] of Object.entries(raw)) {
    const { operator, ifExists, quantifier } = splitOperator(name);
    if (!isRecord(block)) throw new PolicyError(`Invalid Condition type : ${name}`);
    for (const [key, value] of Object.entries(block)) {
      const lower = key.toLowerCase();
      checkKey(lower);
      const values = (Array.isArray(value) ? value : [value]).map((v) => {
        if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
          throw new PolicyError("This policy contains invalid Json");
        }
        return String(v);
      });
      for (const v of values) checkValue(operator, v);
      clauses.push({ operator, ifExists, quantifier, key: lower, values });
    }
  }
  return clauses;
}

function splitOperator(name: string): Omit<ConditionClause, "key" | "values"> {
  let rest = name;
  let quantifier: ConditionClause["quantifier"] = "";
  for (const q of ["ForAnyValue", "ForAllValues"] as const) {
    if (rest.startsWith(q + ":")) {
      quantifier = q;
      rest = rest.slice(q.length + 1);
    }
  }
  const ifExists = rest.endsWith("IfExists") && rest !== "Null";
  if (ifExists) rest = rest.slice(0, -"IfExists".length);
  if (!OPERATORS.has(rest)) throw new PolicyError(`Invalid Condition type : ${name}`);
  return { operator: rest, ifExists, quantifier };
}

function checkKey(key: string): void {
  if (key.startsWith("aws:") && key.length > 4) return;
  if (S3_KEYS.has(key)) return;
  if (S3_KEY_PREFIXES.some((p) => key.startsWith(p) && key.length > p.length)) return;
  throw new PolicyError(INVALID_KEY);
}

function checkValue(operator: string, value: string): void {
  const bad = (operator.includes("IpAddress") && parseCidr(value) === null) ||
    (operator.startsWith("Numeric") && !Number.isFinite(Number(value))) ||
    (operator.startsWith("Date") && parseDate(value) === null) ||
    ((operator === "Bool" || operator === "Null") && !/^(true|false)$/i.test(value));
  if (bad) throw new PolicyError(`Invalid value for condition ${operator}: ${value}`);
}

/** Whether a clause holds for a request; `vars` resolves policy variables in its values. */
export function conditionHolds(
  clause: ConditionClause,
  values: ConditionValues,
  vars: ConditionValues,
): boolean {
  const have = values(clause.key);
  const policyValues = valuesFor(clause, vars);
  if (clause.operator === "Null") {
    const absent = have === undefined || have.length === 0;
    return policyValues.some((v) => (v.toLowerCase() === "true") === absent);
  }
  if (have === undefined || have.length === 0) {
    if (clause.quantifier === "ForAllValues") return true;
    return clause.ifExists || NEGATED.has(clause.operator);
  }
  const negated = NEGATED.has(clause.operator);
  const test = testFor(clause, policyValues);
  if (clause.quantifier === "ForAllValues") {
    return have.every((v) => test(v) !== negated);
  }
  // One value, or ForAnyValue: a positive operator needs a match; a negated one needs none.
  const any = have.some(test);
  return negated ? !any : any;
}

/** Tests of clauses without policy variables, made once: patterns and CIDR blocks parse once. */
const tests = new WeakMap<ConditionClause, (v: string) => boolean>();

function testFor(clause: ConditionClause, policyValues: string[]): (v: string) => boolean {
  if (policyValues !== clause.values) return matcher(clause.operator, policyValues);
  let test = tests.get(clause);
  if (!test) tests.set(clause, test = matcher(clause.operator, policyValues));
  return test;
}

/** The clause's values with the request's policy variables put in (the same array when it has none). */
function valuesFor(clause: ConditionClause, vars: ConditionValues): string[] {
  if (!clause.values.some((v) => v.includes("${"))) return clause.values;
  const pattern = PATTERNS.has(clause.operator);
  return clause.values.map((v) => {
    if (!v.includes("${")) return v;
    const s = substitute(v, vars);
    return pattern ? s : literal(s);
  });
}

/** The positive test of an operator against the policy's values. */
function matcher(operator: string, policyValues: string[]): (v: string) => boolean {
  switch (operator) {
    case "StringEquals":
    case "StringNotEquals":
    case "BinaryEquals":
      return (v) => policyValues.includes(v);
    case "StringEqualsIgnoreCase":
    case "StringNotEqualsIgnoreCase": {
      const lower = policyValues.map((p) => p.toLowerCase());
      return (v) => lower.includes(v.toLowerCase());
    }
    case "StringLike":
    case "StringNotLike":
    case "ArnEquals":
    case "ArnLike":
    case "ArnNotEquals":
    case "ArnNotLike": {
      const patterns = policyValues.map((p) => wildcard(p));
      return (v) => patterns.some((re) => re.test(v));
    }
    case "Bool":
      return (v) => policyValues.some((p) => p.toLowerCase() === v.toLowerCase());
    case "IpAddress":
    case "NotIpAddress": {
      const blocks = policyValues.map(parseCidr).filter((b) => b !== null);
      return (v) => {
        const addr = parseIp(v);
        return addr !== null && blocks.some((b) => inBlock(addr, b));
      };
    }
  }
  if (operator.startsWith("Numeric")) {
    const cmp = comparison(operator.slice("Numeric".length));
    return (v) => {
      const n = Number(v);
      return v !== "" && Number.isFinite(n) && policyValues.some((p) => cmp(n, Number(p)));
    };
  }
  const cmp = comparison(operator.slice("Date".length));
  return (v) => {
    const t = parseDate(v);
    return t !== null && policyValues.some((p) => cmp(t, parseDate(p)!));
  };
}

function comparison(name: string): (a: number, b: number) => boolean {
  switch (name) {
    case "Equals":
    case "NotEquals":
      return (a, b) => a === b;
    case "LessThan":
      return (a, b) => a < b;
    case "LessThanEquals":
      return (a, b) => a <= b;
    case "GreaterThan":
      return (a, b) => a > b;
    default:
      return (a, b) => a >= b;
  }
}

/** A date as ISO 8601 or epoch seconds, in milliseconds; null when neither. */
function parseDate(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

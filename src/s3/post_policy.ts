/**
 * The policy of a browser POST upload: a base64 JSON document with an
 * expiration and conditions that every form field must meet, checked as S3
 * checks it, with its messages.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */
import { Buffer } from "node:buffer";
import { S3Error } from "../errors.ts";

/** One condition: a field equal to or starting with a value, or the file's length range. */
export type PostCondition =
  | { kind: "eq" | "starts-with"; field: string; value: string; text: string }
  | { kind: "content-length-range"; min: number; max: number };

/** A parsed POST policy. */
export interface PostPolicy {
  /** When the policy stops being valid. */
  expiration: Date;
  /** Its conditions. */
  conditions: PostCondition[];
}

/** Fields no condition needs to name (S3's list, and those starting with `x-ignore-`). */
const EXEMPT = new Set(["x-amz-signature", "signature", "awsaccesskeyid", "file", "policy"]);

/** Parses the `policy` field; InvalidPolicyDocument with S3's message when it is not a policy. */
export function parsePostPolicy(base64: string): PostPolicy {
  let doc: unknown;
  try {
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(base64)) throw new Error("not base64");
    doc = JSON.parse(Buffer.from(base64, "base64").toString("utf8"));
  } catch {
    throw invalid("Invalid Policy: Invalid JSON.");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw invalid("Invalid Policy: Invalid JSON.");
  }
  const { expiration, conditions } = doc as Record<string, unknown>;
  if (expiration === undefined) throw invalid("Invalid Policy: Policy missing expiration.");
  const when = typeof expiration === "string" ? new Date(expiration) : new Date(NaN);
  if (Number.isNaN(when.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(String(expiration))) {
    throw invalid(`Invalid Policy: Invalid 'expiration' value: '${String(expiration)}'`);
  }
  if (!Array.isArray(conditions)) throw invalid("Invalid Policy: Policy missing conditions.");
  return { expiration: when, conditions: conditions.map(parseCondition) };
}

function parseCondition(raw: unknown): PostCondition {
  const text = JSON.stringify(raw);
  if (Array.isArray(raw)) {
    const [op, a, b] = raw;
    const kind = typeof op === "string" ? op.toLowerCase() : "";
    if (kind === "content-length-range" && raw.length === 3) {
      const min = Number(a);
      const max = Number(b);
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
        throw invalid(`Invalid Policy: Invalid content-length-range: ${text}`);
      }
      return { kind, min, max };
    }
    if (
      (kind === "eq" || kind === "starts-with") && raw.length === 3 && typeof a === "string" &&
      a.startsWith("$") && typeof b === "string"
    ) {
      return { kind, field: a.slice(1).toLowerCase(), value: b, text: shown([op, a, b]) };
    }
    throw invalid(`Invalid Policy: Invalid Condition: ${text}`);
  }
  if (typeof raw === "object" && raw !== null && Object.keys(raw).length === 1) {
    const [[name, value]] = Object.entries(raw);
    if (typeof value === "string") {
      return {
        kind: "eq",
        field: name.toLowerCase(),
        value,
        text: JSON.stringify(["eq", "$" + name, value]),
      };
    }
  }
  throw invalid(`Invalid Policy: Invalid Simple-Condition: ${text}`);
}

/** What a POST upload's policy is checked against. */
export interface PostFacts {
  /** The form's fields before the file, by lower-case name. */
  fields: ReadonlyMap<string, string>;
  /** The bucket posted to (the `bucket` condition). */
  bucket: string;
  /** The key, `${filename}` already put in. */
  key: string;
  /** Now. */
  now: Date;
}

/**
 * Checks every condition and that every field is named by one: AccessDenied
 * with S3's message otherwise. Returns the allowed file length range.
 */
export function checkPostPolicy(
  policy: PostPolicy,
  facts: PostFacts,
): { min: number; max: number } | null {
  if (facts.now.getTime() > policy.expiration.getTime()) {
    throw denied("Invalid according to Policy: Policy expired.");
  }
  let range: { min: number; max: number } | null = null;
  const named = new Set<string>();
  const valueOf = (field: string) =>
    field === "bucket" ? facts.bucket : field === "key" ? facts.key : facts.fields.get(field) ?? "";
  for (const c of policy.conditions) {
    if (c.kind === "content-length-range") {
      range = { min: c.min, max: c.max };
      continue;
    }
    named.add(c.field);
    const value = valueOf(c.field);
    const holds = c.kind === "eq" ? value === c.value : value.startsWith(c.value);
    if (!holds) throw denied(`Invalid according to Policy: Policy Condition failed: ${c.text}`);
  }
  const extra = [...facts.fields.keys()].filter((f) =>
    !EXEMPT.has(f) && !f.startsWith("x-ignore-") && !named.has(f)
  );
  if (extra.length > 0) {
    throw denied(`Invalid according to Policy: Extra input fields: ${extra.join(", ")}`);
  }
  return range;
}

/** A condition as S3 quotes it in its messages: `["eq", "$key", "a"]`. */
function shown(items: unknown[]): string {
  return `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;
}

function invalid(message: string): S3Error {
  return new S3Error("InvalidPolicyDocument", message);
}

function denied(message: string): S3Error {
  return new S3Error("AccessDenied", message);
}

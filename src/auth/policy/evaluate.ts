/**
 * Evaluating a policy for one request: a statement applies when its
 * principal, action, resource and every condition match; an applicable Deny
 * beats any Allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
import { ACCOUNT_ID, CANONICAL_ID, type Principal, principalArn } from "./account.ts";
import { conditionHolds, type ConditionValues } from "./conditions.ts";
import type { Policy, Principals, ResourcePattern, Statement } from "./document.ts";
import { substitute } from "./variables.ts";
import { wildcard } from "./wildcard.ts";

/** One request as a policy sees it. */
export interface AccessRequest {
  /** Who sent it. */
  principal: Principal;
  /** The action, lower case with its prefix (`s3:getobject`). */
  action: string;
  /** The resource's ARN (`arn:aws:s3:::bucket/key`, `arn:aws:s3:::bucket`, or `*`). */
  resource: string;
  /** The request's condition keys (lower-case names), also the values of policy variables. */
  values: ConditionValues;
}

/** What a policy says of a request: an explicit deny, an allow, or nothing. */
export type Decision = "deny" | "allow" | "none";

/** What `policy` says of `request`. */
export function evaluate(policy: Policy, request: AccessRequest): Decision {
  let allowed = false;
  for (const s of policy.statements) {
    if (s.effect === "Allow" && allowed) continue;
    if (!applies(s, request)) continue;
    if (s.effect === "Deny") return "deny";
    allowed = true;
  }
  return allowed ? "allow" : "none";
}

function applies(s: Statement, r: AccessRequest): boolean {
  if (s.principal && !names(s.principal, r.principal)) return false;
  if (s.notPrincipal && names(s.notPrincipal, r.principal)) return false;
  if (s.actions && !s.actions.some((re) => re.test(r.action))) return false;
  if (s.notActions && s.notActions.some((re) => re.test(r.action))) return false;
  if (s.resources && !s.resources.some((p) => matches(p, r))) return false;
  if (s.notResources && s.notResources.some((p) => matches(p, r))) return false;
  return s.conditions.every((c) => conditionHolds(c, r.values, r.values));
}

/** Whether a principal set names the request's principal. */
function names(set: Principals, p: Principal): boolean {
  if (set.any) return true;
  if (p.type === "anonymous") return false;
  if (p.type === "root") {
    return set.aws.includes(ACCOUNT_ID) || set.aws.includes(principalArn(p)!) ||
      set.canonical.includes(CANONICAL_ID);
  }
  return set.aws.includes(principalArn(p)!);
}

function matches(pattern: ResourcePattern, r: AccessRequest): boolean {
  if (pattern.re) return pattern.re.test(r.resource);
  return wildcard(substitute(pattern.text, r.values)).test(r.resource);
}

/**
 * Keys whose condition ties a statement to fixed callers, so that granting
 * to `*` with one of them is not public (S3's "The meaning of public").
 */
const RESTRICTING_KEYS = [
  "aws:sourcearn",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceaccount",
  "aws:sourceowner",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:principalorgid",
  "aws:userid",
  "s3:dataaccesspointaccount",
  "s3:dataaccesspointarn",
];

/**
 * Whether a bucket policy is public: it allows something to everyone (`*`
 * or NotPrincipal) without a condition limiting it to fixed callers or to
 * fixed source addresses.
 */
export function isPublic(policy: Policy): boolean {
  return policy.statements.some((s) => {
    if (s.effect !== "Allow") return false;
    if (!(s.principal?.any || s.notPrincipal)) return false;
    return !s.conditions.some((c) =>
      RESTRICTING_KEYS.includes(c.key) ||
      (c.key === "aws:sourceip" && c.operator === "IpAddress" &&
        c.values.every((v) => !/\/0$/.test(v)))
    );
  });
}

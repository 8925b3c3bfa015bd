/**
 * Access policies: the JSON grammar of bucket and user policies, and their
 * evaluation for a request. Pure: no I/O, no knowledge of HTTP.
 */
export { S3_ACTIONS } from "./actions.ts";
export { ACCOUNT_ID, CANONICAL_ID, OWNER_NAME, type Principal, principalArn } from "./account.ts";
export type { ConditionValues } from "./conditions.ts";
export { parsePolicy, parsePolicyObject, type Policy } from "./document.ts";
export { type AccessRequest, type Decision, evaluate, isPublic } from "./evaluate.ts";
export { PolicyError } from "./policy_error.ts";
export { inBlock, parseCidr, parseIp } from "./ip.ts";

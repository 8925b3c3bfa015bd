/**
 * What a policy's conditions may ask of a request: the global `aws:` keys
 * and S3's `s3:` keys, read from the request only when a condition asks.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
 */
import type { AuthResult } from "../../auth/mod.ts";
import {
  ACCOUNT_ID,
  type ConditionValues,
  type Principal,
  principalArn,
} from "../../auth/policy/mod.ts";

/** The request a set of condition values describes. */
export interface RequestFacts {
  /** Who sent it. */
  principal: Principal;
  /** The user's access key (`aws:userid`), when a user sent it. */
  accessKey: string | null;
  /** The authentication outcome. */
  auth: AuthResult;
  /** Request headers. */
  headers: Headers;
  /** Query parameters. */
  query: URLSearchParams;
  /** The peer's address. */
  sourceIp: string;
  /** Whether the connection is TLS. */
  secure: boolean;
  /** The object's current tags, when a condition needs them. */
  objectTags?: Record<string, string>;
}

const QUERY_KEYS: Record<string, string> = {
  "s3:prefix": "prefix",
  "s3:delimiter": "delimiter",
  "s3:max-keys": "max-keys",
  "s3:versionid": "versionId",
};

/** The condition values of a request. */
export function conditionValues(f: RequestFacts): ConditionValues {
  let requestTags: Record<string, string> | undefined;
  const tagsOfRequest = () => (requestTags ??= parseTagging(f.headers.get("x-amz-tagging")));
  return (key) => {
    const one = (v: string | null | undefined) => (v === null || v === undefined ? undefined : [v]);
    switch (key) {
      case "aws:sourceip":
        return [f.sourceIp];
      case "aws:securetransport":
        return [String(f.secure)];
      case "aws:currenttime":
        return [new Date().toISOString()];
      case "aws:epochtime":
        return [String(Math.floor(Date.now() / 1000))];
      case "aws:username":
        return f.principal.type === "user" ? [f.principal.name] : undefined;
      case "aws:userid":
        return f.principal.type === "root" ? [ACCOUNT_ID] : one(f.accessKey);
      case "aws:principaltype":
        return [{ anonymous: "Anonymous", root: "Account", user: "User" }[f.principal.type]];
      case "aws:principalarn":
        return one(principalArn(f.principal));
      case "aws:principalaccount":
        return f.principal.type === "anonymous" ? undefined : [ACCOUNT_ID];
      case "aws:referer":
        return one(f.headers.get("referer"));
      case "aws:useragent":
        return one(f.headers.get("user-agent"));
      case "s3:signatureversion":
        return one(f.auth.signatureVersion);
      case "s3:authtype":
        return one(f.auth.authType);
      case "s3:requestobjecttagkeys": {
        const keys = Object.keys(tagsOfRequest());
        return keys.length > 0 ? keys : undefined;
      }
    }
    if (key in QUERY_KEYS) return one(f.query.get(QUERY_KEYS[key]));
    if (key.startsWith("s3:x-amz-")) return one(f.headers.get(key.slice(3)));
    if (key.startsWith("s3:existingobjecttag/")) {
      return one(tagValue(f.objectTags, key.slice("s3:existingobjecttag/".length)));
    }
    if (key.startsWith("s3:requestobjecttag/")) {
      return one(tagValue(tagsOfRequest(), key.slice("s3:requestobjecttag/".length)));
    }
    return undefined;
  };
}

/** A tag's value; condition keys compare without case, so the tag key is looked up likewise. */
function tagValue(tags: Record<string, string> | undefined, lowerKey: string): string | undefined {
  if (!tags) return undefined;
  for (const [k, v] of Object.entries(tags)) if (k.toLowerCase() === lowerKey) return v;
  return undefined;
}

function parseTagging(header: string | null): Record<string, string> {
  if (header === null) return {};
  return Object.fromEntries(new URLSearchParams(header));
}

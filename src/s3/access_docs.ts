/**
 * A bucket's access settings as stored: its policy (the JSON as put), ACL,
 * public access block and object ownership, each a configuration document
 * of its own, and the rules they impose on requests that set ACLs.
 */
import { S3Error } from "../errors.ts";
import type { AclGrant, Storage } from "../storage/mod.ts";
import type { RequestContext } from "./context.ts";
import { emptyResponse } from "./response.ts";
import { isPublic, parsePolicy, type Policy } from "../auth/policy/mod.ts";
import { defaultAcl, isPublicAcl } from "./acl.ts";

/** The bucket policy, verbatim. */
export const POLICY_DOC = "policy.json";
/** The bucket's ACL grants (absent: the owner's full control). */
export const ACL_DOC = "acl.json";
/** The PublicAccessBlock settings. */
export const PUBLIC_ACCESS_BLOCK_DOC = "public-access-block.json";
/** The ObjectOwnership setting. */
export const OWNERSHIP_DOC = "ownership.json";

/** The four PublicAccessBlock switches. */
export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

/** The ObjectOwnership values S3 defines. */
export const OWNERSHIP_VALUES = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"];

/** Everything that decides access to one bucket. */
export interface BucketAccess {
  /** The policy as put; null when none. */
  policyText: string | null;
  /** The parsed policy; null when none, or when the stored text no longer parses (see policyBroken). */
  policy: Policy | null;
  /** A stored policy that does not parse (edited by hand): nobody but the administrator gets in. */
  policyBroken: boolean;
  /** Whether the policy is public (GetBucketPolicyStatus, RestrictPublicBuckets). */
  policyPublic: boolean;
  /** The bucket's ACL. */
  acl: AclGrant[];
  /** The public access block; null when none is set. */
  block: PublicAccessBlock | null;
  /** The ObjectOwnership setting; null when none is set (ACLs are honoured, as ObjectWriter). */
  ownership: string | null;
}

/** Whether a bucket's ACLs count: not with ObjectOwnership BucketOwnerEnforced. */
export function aclsEnabled(access: BucketAccess): boolean {
  return access.ownership !== "BucketOwnerEnforced";
}

/** Reads a bucket's access settings (a bucket without any has the defaults). */
export async function readBucketAccess(storage: Storage, bucket: string): Promise<BucketAccess> {
  const [policyDoc, aclDoc, blockDoc, ownershipDoc] = await Promise.all(
    [POLICY_DOC, ACL_DOC, PUBLIC_ACCESS_BLOCK_DOC, OWNERSHIP_DOC].map((name) =>
      storage.readBucketConfig(bucket, name).catch(() => null)
    ),
  );
  let policy: Policy | null = null;
  let policyBroken = false;
  if (policyDoc) {
    try {
      policy = parsePolicy(policyDoc.text, { kind: "bucket", bucket });
    } catch {
      policyBroken = true;
    }
  }
  return {
    policyText: policyDoc?.text ?? null,
    policy,
    policyBroken,
    policyPublic: policy !== null && isPublic(policy),
    acl: parseJson<AclGrant[]>(aclDoc?.text) ?? defaultAcl(),
    block: parseJson<PublicAccessBlock>(blockDoc?.text),
    ownership: parseJson<{ ObjectOwnership: string }>(ownershipDoc?.text)?.ObjectOwnership ?? null,
  };
}

function parseJson<T>(text: string | undefined): T | null {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/**
 * Refuses to set `grants` on a bucket or object of a bucket whose settings
 * forbid it: AccessControlListNotSupported when ACLs are disabled (only the
 * owner's full control may be set), AccessDenied for a public ACL under
 * BlockPublicAcls.
 */
export function checkAclAllowed(access: BucketAccess, grants: readonly AclGrant[]): void {
  if (!aclsEnabled(access) && grants.some((g) => !g.id || g.permission !== "FULL_CONTROL")) {
    throw new S3Error("AccessControlListNotSupported");
  }
  if (access.block?.BlockPublicAcls && isPublicAcl(grants)) throw new S3Error("AccessDenied");
}

/** The handler of a Delete* call that removes the bucket's document `name` (204 whether or not it was there). */
export function deleteDocument(name: string): (ctx: RequestContext) => Promise<Response> {
  return async (ctx) => {
    ctx.storage.requireBucket(ctx.bucket);
    await ctx.storage.writeBucketConfig(ctx.bucket, name, null);
    return emptyResponse(204);
  };
}

/**
 * The one account a geckos3 server is: its id, the canonical user id S3
 * shows as every bucket's and object's owner, and ARNs of its principals.
 */

/** The account id principals are named under (`arn:aws:iam::000000000000:user/<name>`). */
export const ACCOUNT_ID = "000000000000";

/** The canonical user id of the account (the Owner of buckets and objects, ACL grantees). */
export const CANONICAL_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

/** Display name of the owner. */
export const OWNER_NAME = "geckos3";

/** Who sent a request, as policies see it. */
export type Principal =
  | { type: "anonymous" }
  | { type: "root" }
  | { type: "user"; name: string };

/** The ARN of a principal (`aws:PrincipalArn`); undefined for anonymous requests. */
export function principalArn(p: Principal): string | undefined {
  if (p.type === "root") return `arn:aws:iam::${ACCOUNT_ID}:root`;
  if (p.type === "user") return `arn:aws:iam::${ACCOUNT_ID}:user/${p.name}`;
  return undefined;
}

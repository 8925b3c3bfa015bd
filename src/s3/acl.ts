/**
 * Access control lists: canned ACLs, `x-amz-grant-*` headers and the
 * AccessControlPolicy XML, to and from the grants the store keeps, and what
 * a list grants to whom
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html).
 */
import { S3Error } from "../errors.ts";
import type { AclGrant } from "../storage/mod.ts";
import { CANONICAL_ID } from "../auth/policy/mod.ts";
import { OWNER } from "./response.ts";
import { asArray, parseXml, renderXml, XmlElement, type XmlNode } from "./xml.ts";

/** The group of everyone, anonymous requests included. */
export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
/** The group of every signed request. */
export const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const GROUPS = new Set([ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY]);

const PERMISSIONS = new Set(["FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"]);

const OWNER_FULL: AclGrant = { id: CANONICAL_ID, permission: "FULL_CONTROL" };

/** The grants of each canned ACL (one account: the bucket owner owns every object). */
const CANNED: Record<string, AclGrant[]> = {
  "private": [OWNER_FULL],
  "public-read": [OWNER_FULL, { uri: ALL_USERS, permission: "READ" }],
  "public-read-write": [
    OWNER_FULL,
    { uri: ALL_USERS, permission: "READ" },
    { uri: ALL_USERS, permission: "WRITE" },
  ],
  "authenticated-read": [OWNER_FULL, { uri: AUTHENTICATED_USERS, permission: "READ" }],
  "bucket-owner-read": [OWNER_FULL],
  "bucket-owner-full-control": [OWNER_FULL],
  "aws-exec-read": [OWNER_FULL],
  "log-delivery-write": [
    OWNER_FULL,
    { uri: LOG_DELIVERY, permission: "WRITE" },
    { uri: LOG_DELIVERY, permission: "READ_ACP" },
  ],
};

const GRANT_HEADERS: Record<string, string> = {
  "x-amz-grant-full-control": "FULL_CONTROL",
  "x-amz-grant-read": "READ",
  "x-amz-grant-write": "WRITE",
  "x-amz-grant-read-acp": "READ_ACP",
  "x-amz-grant-write-acp": "WRITE_ACP",
};

/** The default list: the owner's full control. */
export function defaultAcl(): AclGrant[] {
  return [OWNER_FULL];
}

/** A list as stored: undefined for the default, so plain objects stay plain. */
export function storedAcl(grants: AclGrant[]): AclGrant[] | undefined {
  const isDefault = grants.length === 1 && grants[0].id === CANONICAL_ID &&
    grants[0].permission === "FULL_CONTROL";
  return isDefault ? undefined : grants;
}

/** Whether a request sets an ACL by header (`x-amz-acl` or any `x-amz-grant-*`). */
export function hasAclHeaders(headers: Headers): boolean {
  if (headers.has("x-amz-acl")) return true;
  for (const name in GRANT_HEADERS) if (headers.has(name)) return true;
  return false;
}

/**
 * The grants a request's ACL headers ask for; null when it has none. Both a
 * canned ACL and grant headers is InvalidRequest, as on S3.
 */
export function aclFromHeaders(headers: Headers): AclGrant[] | null {
  const canned = headers.get("x-amz-acl");
  const grants: AclGrant[] = [];
  for (const [name, permission] of Object.entries(GRANT_HEADERS)) {
    const value = headers.get(name);
    if (value !== null) grants.push(...parseGrantHeader(value, permission));
  }
  if (canned !== null) {
    if (grants.length > 0) {
      throw new S3Error(
        "InvalidRequest",
        "Specifying both Canned ACLs and Header Grants is not allowed",
      );
    }
    const list = CANNED[canned.trim()];
    if (!list) {
      throw new S3Error("InvalidArgument", undefined, {
        extra: { ArgumentName: "x-amz-acl", ArgumentValue: canned },
      });
    }
    return list;
  }
  return grants.length > 0 ? grants : null;
}

/** `id="...", uri="..."` of one grant header. */
function parseGrantHeader(value: string, permission: string): AclGrant[] {
  const grants: AclGrant[] = [];
  for (const part of value.split(",")) {
    const m = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
    if (!m) throw new S3Error("InvalidArgument", `Invalid grant header: ${value}`);
    grants.push(grantee(m[1].toLowerCase(), m[2], permission));
  }
  return grants;
}

function grantee(kind: string, value: string, permission: string): AclGrant {
  if (kind === "emailaddress") throw new S3Error("UnresolvableGrantByEmailAddress");
  if (kind === "uri") {
    if (!GROUPS.has(value)) throw new S3Error("InvalidArgument", "Invalid group uri");
    return { uri: value, permission };
  }
  if (value !== CANONICAL_ID) throw new S3Error("InvalidArgument", "Invalid id");
  return { id: value, permission };
}

/** Parses an AccessControlPolicy document (PutBucketAcl, PutObjectAcl). */
export async function aclFromXml(text: string): Promise<AclGrant[]> {
  let doc: Record<string, unknown>;
  try {
    doc = await parseXml(text, "AccessControlPolicy");
  } catch {
    throw new S3Error("MalformedACLError");
  }
  const owner = doc.Owner as Record<string, unknown> | undefined;
  if (owner !== undefined && typeof owner === "object" && owner.ID !== undefined) {
    if (owner.ID !== CANONICAL_ID) throw new S3Error("AccessDenied");
  }
  const list = doc.AccessControlList;
  if (list !== undefined && (typeof list !== "object" || list === null)) {
    if (list !== "") throw new S3Error("MalformedACLError");
  }
  const raw = asArray((list as Record<string, unknown> | undefined)?.Grant);
  return raw.map((g) => {
    const grant = g as Record<string, unknown>;
    const who = grant?.Grantee as Record<string, unknown> | undefined;
    const permission = grant?.Permission;
    if (typeof permission !== "string" || !PERMISSIONS.has(permission) || !who) {
      throw new S3Error("MalformedACLError");
    }
    if (typeof who.ID === "string") return grantee("id", who.ID, permission);
    if (typeof who.URI === "string") return grantee("uri", who.URI, permission);
    if (typeof who.EmailAddress === "string") return grantee("emailaddress", "", permission);
    throw new S3Error("MalformedACLError");
  });
}

const XSI = "http://www.w3.org/2001/XMLSchema-instance";

/** Renders grants as the AccessControlPolicy document GetBucketAcl and GetObjectAcl answer. */
export function aclXml(grants: readonly AclGrant[]): string {
  const grant = (g: AclGrant): XmlNode => ({
    Grantee: g.uri
      ? new XmlElement({ "xmlns:xsi": XSI, "xsi:type": "Group" }, { URI: g.uri })
      : new XmlElement({ "xmlns:xsi": XSI, "xsi:type": "CanonicalUser" }, {
        ID: g.id,
        DisplayName: g.id === CANONICAL_ID ? OWNER.DisplayName : undefined,
      }),
    Permission: g.permission,
  });
  return renderXml("AccessControlPolicy", {
    Owner: { ...OWNER },
    AccessControlList: { Grant: grants.map(grant) },
  });
}

/** Whether a list grants anything to everyone or to every signed request. */
export function isPublicAcl(grants: readonly AclGrant[]): boolean {
  return grants.some((g) => g.uri === ALL_USERS || g.uri === AUTHENTICATED_USERS);
}

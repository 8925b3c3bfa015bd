/**
 * Object Lock as the store keeps it: a version's retention (a mode and a
 * date) and legal hold are attributes in its metadata, and the store itself
 * refuses to remove a version they protect, whatever asks (a DeleteObject,
 * a DeleteObjects item, the lifecycle scanner, another process on the same
 * data dir): the check runs under the key's lock, against what is on disk.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 */
import { S3Error } from "../errors.ts";
import type { ObjectAttributes } from "./types.ts";

/** What protects a version now: a legal hold, a retention's mode, or nothing. */
export type Protection = "LEGAL_HOLD" | "COMPLIANCE" | "GOVERNANCE" | null;

/** S3's message when a delete or a change meets a lock. */
export const LOCKED_MESSAGE = "Access Denied because object protected by object lock.";

/** What protects a version with `attributes` at `now` (ms): a legal hold first. */
export function protectionOf(attributes: ObjectAttributes, now = Date.now()): Protection {
  if (attributes.legalHold) return "LEGAL_HOLD";
  const retention = attributes.retention;
  if (retention && Date.parse(retention.until) > now) return retention.mode;
  return null;
}

/**
 * Throws AccessDenied unless a version with `attributes` (undefined: none
 * recorded) may be removed now: a legal hold and COMPLIANCE retention never
 * give way; GOVERNANCE gives way to a caller allowed to bypass it.
 */
export function checkRemovable(
  attributes: ObjectAttributes | undefined,
  opts: { bypassGovernance?: boolean } = {},
): void {
  if (!attributes) return;
  const protection = protectionOf(attributes);
  if (protection === null) return;
  if (protection === "GOVERNANCE" && opts.bypassGovernance) return;
  throw new S3Error("AccessDenied", LOCKED_MESSAGE);
}

/** True when an update changes a version's lock: such a change is made durable before it is acknowledged. */
export function changesLock(before: ObjectAttributes, after: ObjectAttributes): boolean {
  return before.legalHold !== after.legalHold ||
    before.retention?.mode !== after.retention?.mode ||
    before.retention?.until !== after.retention?.until;
}

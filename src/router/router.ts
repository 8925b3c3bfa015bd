/**
 * The router: (method, level, sub-resource, headers) -> exactly one named S3
 * operation. A sub-resource the table does not name (`?acl`, `?policy`,
 * `?versioning`, ...) answers 501 NotImplemented: it never falls through to a
 * plain object or bucket operation.
 */
import type { RequestContext } from "../s3/context.ts";
import { S3Error } from "../errors.ts";
import * as buckets from "../s3/buckets.ts";
import * as objects from "../s3/objects.ts";
import * as list from "../s3/list.ts";
import * as multipart from "../s3/multipart.ts";
import { listMultipartUploads } from "../s3/uploads_list.ts";
import * as tagging from "../s3/tagging.ts";
import * as bucketCors from "../s3/bucket_cors.ts";
import { getObjectAttributes } from "../s3/attributes.ts";
import { renameObject } from "../s3/rename.ts";
import * as versioning from "../s3/versioning.ts";
import * as objectLock from "../s3/object_lock.ts";
import * as notifications from "../s3/notification_ops.ts";
import { listObjectVersions } from "../s3/versions_list.ts";
import * as policy from "../s3/bucket_policy.ts";
import * as acl from "../s3/acl_ops.ts";
import * as publicAccess from "../s3/public_access.ts";
import { postObject } from "../s3/post_object.ts";
import * as settings from "../s3/bucket_settings.ts";
import * as idSettings from "../s3/bucket_id_settings.ts";
import * as metadata from "../s3/metadata_config.ts";

/** An operation handler. */
export type Handler = (ctx: RequestContext) => Promise<Response> | Response;

/** A routed operation: its S3 name (for logs and metrics) and handler. */
export interface Route {
  /** S3 operation name, e.g. `PutObject`. */
  name: string;
  /** The handler. */
  handler: Handler;
}

/** Query parameters that select a sub-resource (anything else is an ordinary parameter). */
const SUBRESOURCES: ReadonlySet<string> = new Set([
  "accelerate",
  "abac",
  "acl",
  // Object annotations (PutObjectAnnotation and its kin) are not built: known, so that a PUT or
  // DELETE of /{key}?annotation answers 501 and never overwrites or deletes the object.
  "annotation",
  "analytics",
  "attributes",
  "cors",
  "delete",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "legal-hold",
  "lifecycle",
  "location",
  "logging",
  "metadataAnnotationTable",
  "metadataConfiguration",
  "metadataInventoryTable",
  "metadataJournalTable",
  "metadataTable",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "rename",
  "renameObject",
  "replication",
  "requestPayment",
  "restore",
  "retention",
  "select",
  "session",
  "tagging",
  "torrent",
  "uploadId",
  "uploads",
  "versioning",
  "versions",
  "website",
]);

/** Which level of the address a route serves. */
export type Level = "service" | "bucket" | "object";

const r = (name: string, handler: Handler): Route => ({ name, handler });

/** `${level} ${method} ${subresource}` -> route. The empty sub-resource is the plain operation. */
const TABLE: Record<string, Route> = {
  "service GET ": r("ListBuckets", buckets.listBuckets),
  "bucket GET ": r("ListObjects", list.listObjectsV1),
  "bucket GET location": r("GetBucketLocation", buckets.getBucketLocation),
  "bucket GET uploads": r("ListMultipartUploads", listMultipartUploads),
  "bucket PUT ": r("CreateBucket", buckets.createBucket),
  "bucket DELETE ": r("DeleteBucket", buckets.deleteBucket),
  "bucket HEAD ": r("HeadBucket", buckets.headBucket),
  "bucket POST delete": r("DeleteObjects", objects.deleteObjects),
  "bucket POST ": r("PostObject", postObject),
  "object GET ": r("GetObject", objects.getObject),
  "object HEAD ": r("HeadObject", objects.headObject),
  "object PUT ": r("PutObject", objects.putObject),
  "object DELETE ": r("DeleteObject", objects.deleteObject),
  "object GET uploadId": r("ListParts", multipart.listParts),
  "object POST uploads": r("CreateMultipartUpload", multipart.createMultipartUpload),
  "object POST uploadId": r("CompleteMultipartUpload", multipart.completeMultipartUpload),
  "object DELETE uploadId": r("AbortMultipartUpload", multipart.abortMultipartUpload),
  "object PUT uploadId": r("UploadPart", multipart.uploadPart),
  "object GET attributes": r("GetObjectAttributes", getObjectAttributes),
  "object PUT tagging": r("PutObjectTagging", tagging.putObjectTagging),
  "object GET tagging": r("GetObjectTagging", tagging.getObjectTagging),
  "object DELETE tagging": r("DeleteObjectTagging", tagging.deleteObjectTagging),
  "object PUT renameObject": r("RenameObject", renameObject),
  "bucket PUT tagging": r("PutBucketTagging", tagging.putBucketTagging),
  "bucket GET tagging": r("GetBucketTagging", tagging.getBucketTagging),
  "bucket DELETE tagging": r("DeleteBucketTagging", tagging.deleteBucketTagging),
  "bucket PUT versioning": r("PutBucketVersioning", versioning.putBucketVersioning),
  "bucket GET versioning": r("GetBucketVersioning", versioning.getBucketVersioning),
  "bucket GET versions": r("ListObjectVersions", listObjectVersions),
  "bucket PUT cors": r("PutBucketCors", bucketCors.putBucketCors),
  "bucket GET cors": r("GetBucketCors", bucketCors.getBucketCors),
  "bucket DELETE cors": r("DeleteBucketCors", bucketCors.deleteBucketCors),
  "bucket PUT policy": r("PutBucketPolicy", policy.putBucketPolicy),
  "bucket GET policy": r("GetBucketPolicy", policy.getBucketPolicy),
  "bucket DELETE policy": r("DeleteBucketPolicy", policy.deleteBucketPolicy),
  "bucket GET policyStatus": r("GetBucketPolicyStatus", policy.getBucketPolicyStatus),
  "bucket PUT acl": r("PutBucketAcl", acl.putBucketAcl),
  "bucket GET acl": r("GetBucketAcl", acl.getBucketAcl),
  "object PUT acl": r("PutObjectAcl", acl.putObjectAcl),
  "object GET acl": r("GetObjectAcl", acl.getObjectAcl),
  "bucket PUT publicAccessBlock": r("PutPublicAccessBlock", publicAccess.putPublicAccessBlock),
  "bucket GET publicAccessBlock": r("GetPublicAccessBlock", publicAccess.getPublicAccessBlock),
  "bucket DELETE publicAccessBlock": r(
    "DeletePublicAccessBlock",
    publicAccess.deletePublicAccessBlock,
  ),
  "bucket PUT ownershipControls": r(
    "PutBucketOwnershipControls",
    publicAccess.putOwnershipControls,
  ),
  "bucket GET ownershipControls": r(
    "GetBucketOwnershipControls",
    publicAccess.getOwnershipControls,
  ),
  "bucket DELETE ownershipControls": r(
    "DeleteBucketOwnershipControls",
    publicAccess.deleteOwnershipControls,
  ),
  "bucket POST metadataConfiguration": r(
    "CreateBucketMetadataConfiguration",
    metadata.createMetadataConfiguration,
  ),
  "bucket GET metadataConfiguration": r(
    "GetBucketMetadataConfiguration",
    metadata.getMetadataConfiguration,
  ),
  "bucket DELETE metadataConfiguration": r(
    "DeleteBucketMetadataConfiguration",
    metadata.deleteMetadataConfiguration,
  ),
  "bucket PUT metadataJournalTable": r(
    "UpdateBucketMetadataJournalTableConfiguration",
    metadata.updateJournalTable,
  ),
  "bucket PUT metadataInventoryTable": r(
    "UpdateBucketMetadataInventoryTableConfiguration",
    metadata.updateInventoryTable,
  ),
  "bucket PUT metadataAnnotationTable": r(
    "UpdateBucketMetadataAnnotationTableConfiguration",
    metadata.updateAnnotationTable,
  ),
  "bucket POST metadataTable": r(
    "CreateBucketMetadataTableConfiguration",
    metadata.createMetadataTableConfiguration,
  ),
  "bucket GET metadataTable": r(
    "GetBucketMetadataTableConfiguration",
    metadata.getMetadataTableConfiguration,
  ),
  "bucket DELETE metadataTable": r(
    "DeleteBucketMetadataTableConfiguration",
    metadata.deleteMetadataTableConfiguration,
  ),
  "bucket GET object-lock": r("GetObjectLockConfiguration", objectLock.getObjectLockConfiguration),
  "bucket PUT object-lock": r("PutObjectLockConfiguration", objectLock.putObjectLockConfiguration),
  "bucket PUT notification": r(
    "PutBucketNotificationConfiguration",
    notifications.putNotificationConfiguration,
  ),
  "object GET retention": r("GetObjectRetention", objectLock.getObjectRetention),
  "object PUT retention": r("PutObjectRetention", objectLock.putObjectRetention),
  "object GET legal-hold": r("GetObjectLegalHold", objectLock.getObjectLegalHold),
  "object PUT legal-hold": r("PutObjectLegalHold", objectLock.putObjectLegalHold),
  "object POST restore": r("RestoreObject", settings.restoreObject),
  "bucket GET notification": r(
    "GetBucketNotificationConfiguration",
    notifications.getNotificationConfiguration,
  ),
  ...settingRoutes(),
};

/** The rows of the settings kept as their documents (s3/bucket_settings.ts). */
function settingRoutes(): Record<string, Route> {
  const rows: Record<string, Route> = {};
  for (const s of settings.BUCKET_SETTINGS) {
    rows[`bucket PUT ${s.sub}`] = r(s.ops.put, settings.putSetting(s));
    rows[`bucket GET ${s.sub}`] = r(s.ops.get, settings.getSetting(s));
    if (s.ops.delete) rows[`bucket DELETE ${s.sub}`] = r(s.ops.delete, settings.deleteSetting(s));
  }
  for (const s of idSettings.ID_SETTINGS) {
    rows[`bucket PUT ${s.sub}`] = r(s.ops.put, idSettings.putIdSetting(s));
    rows[`bucket GET ${s.sub}`] = r(s.ops.get, idSettings.getIdSetting(s));
    rows[`bucket DELETE ${s.sub}`] = r(s.ops.delete, idSettings.deleteIdSetting(s));
  }
  return rows;
}

/** Every routed `(level, method, sub-resource)` with its operation name: what the router serves. */
export function routeTable(): {
  level: Level;
  method: string;
  subresource: string;
  name: string;
}[] {
  return Object.entries(TABLE).map(([k, route]) => {
    const [level, method, subresource] = k.split(" ");
    return { level: level as Level, method, subresource, name: route.name };
  });
}

const V2 = r("ListObjectsV2", list.listObjectsV2);
/** A GET of an id-kept setting without an id lists them: its own operation name. */
const ID_LISTS = new Map(
  idSettings.ID_SETTINGS.map((s) => [s.ops.get, r(s.ops.list, idSettings.getIdSetting(s))]),
);
const COPY = r("CopyObject", objects.copyObject);
const PART_COPY = r("UploadPartCopy", multipart.uploadPartCopy);

/**
 * Finds the operation for a request. Throws NotImplemented for unknown
 * sub-resources and MethodNotAllowed for unknown methods.
 */
export function route(
  method: string,
  bucket: string,
  key: string,
  query: URLSearchParams,
  headers: Headers,
): Route {
  const level: Level = bucket === "" ? "service" : key === "" ? "bucket" : "object";
  let sub = "";
  for (const name of query.keys()) {
    if (!SUBRESOURCES.has(name)) continue;
    // uploadId goes with partNumber for UploadPart; pick the most specific known name.
    if (sub === "" || name === "uploadId") sub = name;
  }
  const found = TABLE[`${level} ${method} ${sub}`];
  if (!found) {
    if (sub !== "") {
      throw new S3Error("NotImplemented", `The ${sub} sub-resource is not implemented by geckos3.`);
    }
    throw new S3Error("MethodNotAllowed");
  }
  if (found.name === "ListObjects" && query.get("list-type") === "2") return V2;
  if (method === "GET" && !query.has("id")) {
    const listing = ID_LISTS.get(found.name);
    if (listing) return listing;
  }
  if (headers.has("x-amz-copy-source")) {
    if (found.name === "PutObject") return COPY;
    if (found.name === "UploadPart") return PART_COPY;
  }
  if (found.name === "UploadPart" && !query.has("partNumber")) {
    throw new S3Error("InvalidRequest", "A part upload needs both partNumber and uploadId.");
  }
  return found;
}

/**
 * The S3 action each operation is authorized as, as the Service
 * Authorization Reference and the API reference's "Permissions" sections
 * name them, and what each ACL permission grants
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions).
 */

/** Operation name -> action (lower case). DeleteObjects judges key by key in the operation. */
const ACTIONS: Record<string, string> = {
  ListBuckets: "ListAllMyBuckets",
  ListObjects: "ListBucket",
  ListObjectsV2: "ListBucket",
  HeadBucket: "ListBucket",
  GetBucketLocation: "GetBucketLocation",
  ListMultipartUploads: "ListBucketMultipartUploads",
  ListObjectVersions: "ListBucketVersions",
  CreateBucket: "CreateBucket",
  DeleteBucket: "DeleteBucket",
  DeleteObjects: "",
  GetObject: "GetObject",
  HeadObject: "GetObject",
  PutObject: "PutObject",
  PostObject: "PutObject",
  CopyObject: "PutObject",
  RenameObject: "PutObject",
  DeleteObject: "DeleteObject",
  CreateMultipartUpload: "PutObject",
  UploadPart: "PutObject",
  UploadPartCopy: "PutObject",
  CompleteMultipartUpload: "PutObject",
  AbortMultipartUpload: "AbortMultipartUpload",
  ListParts: "ListMultipartUploadParts",
  GetObjectAttributes: "GetObjectAttributes",
  PutObjectTagging: "PutObjectTagging",
  GetObjectTagging: "GetObjectTagging",
  DeleteObjectTagging: "DeleteObjectTagging",
  PutObjectAcl: "PutObjectAcl",
  GetObjectAcl: "GetObjectAcl",
  PutBucketTagging: "PutBucketTagging",
  GetBucketTagging: "GetBucketTagging",
  DeleteBucketTagging: "PutBucketTagging",
  PutBucketVersioning: "PutBucketVersioning",
  GetBucketVersioning: "GetBucketVersioning",
  PutBucketCors: "PutBucketCORS",
  GetBucketCors: "GetBucketCORS",
  DeleteBucketCors: "PutBucketCORS",
  PutBucketPolicy: "PutBucketPolicy",
  GetBucketPolicy: "GetBucketPolicy",
  DeleteBucketPolicy: "DeleteBucketPolicy",
  GetBucketPolicyStatus: "GetBucketPolicyStatus",
  PutBucketAcl: "PutBucketAcl",
  GetBucketAcl: "GetBucketAcl",
  PutPublicAccessBlock: "PutBucketPublicAccessBlock",
  GetPublicAccessBlock: "GetBucketPublicAccessBlock",
  DeletePublicAccessBlock: "PutBucketPublicAccessBlock",
  PutBucketOwnershipControls: "PutBucketOwnershipControls",
  GetBucketOwnershipControls: "GetBucketOwnershipControls",
  DeleteBucketOwnershipControls: "PutBucketOwnershipControls",
  PutBucketAbac: "PutBucketABAC",
  GetBucketAbac: "GetBucketABAC",
  PutBucketAccelerateConfiguration: "PutAccelerateConfiguration",
  GetBucketAccelerateConfiguration: "GetAccelerateConfiguration",
  PutBucketRequestPayment: "PutBucketRequestPayment",
  GetBucketRequestPayment: "GetBucketRequestPayment",
  PutBucketLogging: "PutBucketLogging",
  GetBucketLogging: "GetBucketLogging",
  PutBucketEncryption: "PutEncryptionConfiguration",
  GetBucketEncryption: "GetEncryptionConfiguration",
  DeleteBucketEncryption: "PutEncryptionConfiguration",
  PutBucketReplication: "PutReplicationConfiguration",
  GetBucketReplication: "GetReplicationConfiguration",
  DeleteBucketReplication: "PutReplicationConfiguration",
  PutBucketWebsite: "PutBucketWebsite",
  GetBucketWebsite: "GetBucketWebsite",
  DeleteBucketWebsite: "DeleteBucketWebsite",
  PutBucketLifecycleConfiguration: "PutLifecycleConfiguration",
  GetBucketLifecycleConfiguration: "GetLifecycleConfiguration",
  DeleteBucketLifecycle: "PutLifecycleConfiguration",
  GetObjectLockConfiguration: "GetBucketObjectLockConfiguration",
  // The IAM actions keep S3 Metadata's first (V1) names for both APIs.
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketMetadataConfiguration.html
  CreateBucketMetadataConfiguration: "CreateBucketMetadataTableConfiguration",
  GetBucketMetadataConfiguration: "GetBucketMetadataTableConfiguration",
  DeleteBucketMetadataConfiguration: "DeleteBucketMetadataTableConfiguration",
  CreateBucketMetadataTableConfiguration: "CreateBucketMetadataTableConfiguration",
  GetBucketMetadataTableConfiguration: "GetBucketMetadataTableConfiguration",
  DeleteBucketMetadataTableConfiguration: "DeleteBucketMetadataTableConfiguration",
  UpdateBucketMetadataJournalTableConfiguration: "UpdateBucketMetadataJournalTableConfiguration",
  UpdateBucketMetadataInventoryTableConfiguration:
    "UpdateBucketMetadataInventoryTableConfiguration",
  UpdateBucketMetadataAnnotationTableConfiguration:
    "UpdateBucketMetadataAnnotationTableConfiguration",
  PutObjectLockConfiguration: "PutBucketObjectLockConfiguration",
  PutBucketNotificationConfiguration: "PutBucketNotification",
  GetObjectRetention: "GetObjectRetention",
  PutObjectRetention: "PutObjectRetention",
  GetObjectLegalHold: "GetObjectLegalHold",
  PutObjectLegalHold: "PutObjectLegalHold",
  RestoreObject: "RestoreObject",
  GetBucketNotificationConfiguration: "GetBucketNotification",
  PutBucketAnalyticsConfiguration: "PutAnalyticsConfiguration",
  GetBucketAnalyticsConfiguration: "GetAnalyticsConfiguration",
  DeleteBucketAnalyticsConfiguration: "PutAnalyticsConfiguration",
  ListBucketAnalyticsConfigurations: "GetAnalyticsConfiguration",
  PutBucketInventoryConfiguration: "PutInventoryConfiguration",
  GetBucketInventoryConfiguration: "GetInventoryConfiguration",
  DeleteBucketInventoryConfiguration: "PutInventoryConfiguration",
  ListBucketInventoryConfigurations: "GetInventoryConfiguration",
  PutBucketMetricsConfiguration: "PutMetricsConfiguration",
  GetBucketMetricsConfiguration: "GetMetricsConfiguration",
  DeleteBucketMetricsConfiguration: "PutMetricsConfiguration",
  ListBucketMetricsConfigurations: "GetMetricsConfiguration",
  PutBucketIntelligentTieringConfiguration: "PutIntelligentTieringConfiguration",
  GetBucketIntelligentTieringConfiguration: "GetIntelligentTieringConfiguration",
  DeleteBucketIntelligentTieringConfiguration: "PutIntelligentTieringConfiguration",
  ListBucketIntelligentTieringConfigurations: "GetIntelligentTieringConfiguration",
};

/** Actions that name a version of an object when the request has a `versionId`. */
const VERSIONED: Record<string, string> = {
  "s3:getobject": "s3:getobjectversion",
  "s3:deleteobject": "s3:deleteobjectversion",
  "s3:getobjecttagging": "s3:getobjectversiontagging",
  "s3:putobjecttagging": "s3:putobjectversiontagging",
  "s3:deleteobjecttagging": "s3:deleteobjectversiontagging",
  "s3:getobjectacl": "s3:getobjectversionacl",
  "s3:putobjectacl": "s3:putobjectversionacl",
  "s3:getobjectattributes": "s3:getobjectversionattributes",
};

/**
 * The action an operation needs (lower case): "" when the operation judges
 * item by item, undefined for an operation no action covers (refused to
 * all but the administrator).
 */
export function actionOf(operation: string, versioned: boolean): string | undefined {
  const name = ACTIONS[operation];
  if (name === undefined || name === "") return name;
  const action = `s3:${name.toLowerCase()}`;
  return versioned ? VERSIONED[action] ?? action : action;
}

/** The operations the table names (for the test that every route has an action). */
export function operationsWithActions(): string[] {
  return Object.keys(ACTIONS);
}

/** The action that reading a copy source needs. */
export function copySourceAction(versioned: boolean): string {
  return versioned ? "s3:getobjectversion" : "s3:getobject";
}

const OBJECT_GRANTS: Record<string, string> = {
  "s3:getobject": "READ",
  "s3:getobjectversion": "READ",
  "s3:getobjectacl": "READ_ACP",
  "s3:getobjectversionacl": "READ_ACP",
  "s3:putobjectacl": "WRITE_ACP",
  "s3:putobjectversionacl": "WRITE_ACP",
};

const BUCKET_GRANTS: Record<string, string> = {
  "s3:listbucket": "READ",
  "s3:listbucketversions": "READ",
  "s3:listbucketmultipartuploads": "READ",
  "s3:putobject": "WRITE",
  "s3:deleteobject": "WRITE",
  "s3:deleteobjectversion": "WRITE",
  "s3:abortmultipartupload": "WRITE",
  "s3:listmultipartuploadparts": "WRITE",
  "s3:getbucketacl": "READ_ACP",
  "s3:putbucketacl": "WRITE_ACP",
};

/** The ACL permission of an object's ACL that grants `action`, if any. */
export function objectGrantFor(action: string): string | undefined {
  return OBJECT_GRANTS[action];
}

/** The ACL permission of a bucket's ACL that grants `action`, if any. */
export function bucketGrantFor(action: string): string | undefined {
  return BUCKET_GRANTS[action];
}

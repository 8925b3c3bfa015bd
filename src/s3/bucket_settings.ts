/**
 * Bucket settings kept as the XML document that was put: ABAC, accelerate,
 * request payment, logging, default encryption, replication, website and
 * lifecycle. Each is checked against S3's grammar when put, given back as
 * put, and, when unset, answered exactly as S3 answers an unset one (its own
 * error, or the empty document). Which of them have an effect is the
 * README's table; infrastructure tools (Terraform, OpenTofu, Pulumi) read
 * them all on every refresh.
 */
import { type ErrorCode, S3Error } from "../errors.ts";
import { requestBody, type RequestContext } from "./context.ts";
import { deleteDocument } from "./access_docs.ts";
import { LIFECYCLE_DOC } from "./lifecycle.ts";
import { WEBSITE_DOC } from "./website.ts";
import { ENCRYPTION_DOC } from "./encryption.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { asArray, parseXml, readXmlBody, renderXml, type XmlNode } from "./xml.ts";

/** One kept setting. */
export interface BucketSetting {
  /** The query sub-resource (`?accelerate`). */
  sub: string;
  /** The document's file among the bucket's configuration documents. */
  file: string;
  /** The XML root element of the document. */
  root: string;
  /** Operation names, for the route table (no `delete` when S3 has no Delete call). */
  ops: { put: string; get: string; delete?: string };
  /** The answer to Get while unset: an error, or an empty document's children. */
  unset: ErrorCode | XmlNode;
  /** Throws S3's error for a document S3 would refuse (parsed below its root). */
  validate(doc: Record<string, unknown>, ctx: RequestContext): void;
}

type Doc = Record<string, unknown>;

const list = (v: unknown) => asArray(v as Doc | Doc[] | undefined);

function oneOf(value: unknown, allowed: string[]): void {
  if (typeof value !== "string" || !allowed.includes(value)) throw new S3Error("MalformedXML");
}

function checkEncryption(doc: Doc): void {
  const rules = list(doc.Rule);
  if (rules.length !== 1) throw new S3Error("MalformedXML");
  const apply = rules[0].ApplyServerSideEncryptionByDefault as Doc | undefined;
  if (!apply || typeof apply !== "object") throw new S3Error("MalformedXML");
  oneOf(apply.SSEAlgorithm, ["AES256", "aws:kms", "aws:kms:dsse"]);
  if (apply.SSEAlgorithm === "AES256" && apply.KMSMasterKeyID !== undefined) {
    throw new S3Error(
      "InvalidArgument",
      "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
    );
  }
  if (rules[0].BucketKeyEnabled !== undefined) oneOf(rules[0].BucketKeyEnabled, ["true", "false"]);
}

function checkLogging(doc: Doc, ctx: RequestContext): void {
  const enabled = doc.LoggingEnabled as Doc | string | undefined;
  if (enabled === undefined || enabled === "") return;
  if (typeof enabled !== "object" || typeof enabled.TargetBucket !== "string") {
    throw new S3Error("MalformedXML");
  }
  try {
    ctx.storage.requireBucket(enabled.TargetBucket);
  } catch {
    throw new S3Error(
      "InvalidTargetBucketForLogging",
      "The target bucket for logging does not exist",
      {
        extra: { TargetBucket: enabled.TargetBucket },
      },
    );
  }
}

function checkReplication(doc: Doc, ctx: RequestContext): void {
  if (typeof doc.Role !== "string" || list(doc.Rule).length === 0) {
    throw new S3Error("MalformedXML");
  }
  for (const rule of list(doc.Rule)) {
    oneOf(rule.Status, ["Enabled", "Disabled"]);
    const dest = rule.Destination as Doc | undefined;
    if (!dest || typeof dest.Bucket !== "string") throw new S3Error("MalformedXML");
  }
  if (ctx.storage.versioning(ctx.bucket) !== "Enabled") {
    throw new S3Error(
      "InvalidRequest",
      "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    );
  }
}

function checkWebsite(doc: Doc): void {
  const index = doc.IndexDocument as Doc | undefined;
  const redirect = doc.RedirectAllRequestsTo as Doc | undefined;
  if (redirect !== undefined) {
    if (typeof redirect !== "object" || typeof redirect.HostName !== "string") {
      throw new S3Error("MalformedXML");
    }
    if (index !== undefined || doc.ErrorDocument !== undefined || doc.RoutingRules !== undefined) {
      throw new S3Error(
        "InvalidRequest",
        "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
      );
    }
    return;
  }
  if (!index || typeof index !== "object" || typeof index.Suffix !== "string") {
    throw new S3Error(
      "InvalidArgument",
      "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
    );
  }
  if (index.Suffix === "" || index.Suffix.includes("/")) {
    throw new S3Error("InvalidArgument", "The IndexDocument Suffix is not well formed");
  }
}

/** Most rules S3 takes in a lifecycle configuration. */
const MAX_LIFECYCLE_RULES = 1000;

function checkLifecycle(doc: Doc): void {
  const rules = list(doc.Rule);
  if (rules.length === 0 || rules.length > MAX_LIFECYCLE_RULES) throw new S3Error("MalformedXML");
  const ids = new Set<string>();
  for (const rule of rules) {
    if (typeof rule !== "object" || rule === null) throw new S3Error("MalformedXML");
    oneOf(rule.Status, ["Enabled", "Disabled"]);
    if (rule.ID !== undefined) {
      const id = String(rule.ID);
      if (id.length > 255) {
        throw new S3Error("InvalidArgument", "ID length should not exceed allowed limit of 255");
      }
      if (ids.has(id)) {
        throw new S3Error(
          "InvalidArgument",
          "Rule ID must be unique. Found same ID for more than one rule",
        );
      }
      ids.add(id);
    }
    if (rule.Filter !== undefined && rule.Prefix !== undefined) throw new S3Error("MalformedXML");
    const actions = [
      "Expiration",
      "NoncurrentVersionExpiration",
      "AbortIncompleteMultipartUpload",
      "Transition",
      "NoncurrentVersionTransition",
    ];
    if (!actions.some((a) => rule[a] !== undefined)) {
      throw new S3Error(
        "InvalidRequest",
        "At least one action needs to be specified in a rule",
      );
    }
    const expiration = rule.Expiration as Doc | undefined;
    if (expiration !== undefined) {
      if (typeof expiration !== "object") throw new S3Error("MalformedXML");
      const given = ["Days", "Date", "ExpiredObjectDeleteMarker"].filter((k) =>
        expiration[k] !== undefined
      );
      if (given.length !== 1) throw new S3Error("MalformedXML");
      if (expiration.Days !== undefined && !(Number(expiration.Days) > 0)) {
        throw new S3Error(
          "InvalidArgument",
          "'Days' for Expiration action must be a positive integer",
        );
      }
      if (expiration.Date !== undefined && !/T00:00:00(\.000)?Z$/.test(String(expiration.Date))) {
        throw new S3Error("InvalidArgument", "'Date' must be at midnight GMT");
      }
    }
  }
}

/** The settings, by sub-resource. */
export const BUCKET_SETTINGS: readonly BucketSetting[] = [
  {
    // Attribute-based access control by bucket tags (API_PutBucketAbac): kept, no effect.
    sub: "abac",
    file: "abac.xml",
    root: "AbacStatus",
    ops: { put: "PutBucketAbac", get: "GetBucketAbac" },
    unset: { Status: "Disabled" },
    validate: (doc) => oneOf(doc.Status, ["Enabled", "Disabled"]),
  },
  {
    sub: "accelerate",
    file: "accelerate.xml",
    root: "AccelerateConfiguration",
    ops: { put: "PutBucketAccelerateConfiguration", get: "GetBucketAccelerateConfiguration" },
    unset: {},
    validate: (doc) => oneOf(doc.Status, ["Enabled", "Suspended"]),
  },
  {
    sub: "requestPayment",
    file: "request-payment.xml",
    root: "RequestPaymentConfiguration",
    ops: { put: "PutBucketRequestPayment", get: "GetBucketRequestPayment" },
    unset: { Payer: "BucketOwner" },
    validate: (doc) => oneOf(doc.Payer, ["Requester", "BucketOwner"]),
  },
  {
    sub: "logging",
    file: "logging.xml",
    root: "BucketLoggingStatus",
    ops: { put: "PutBucketLogging", get: "GetBucketLogging" },
    unset: {},
    validate: checkLogging,
  },
  {
    sub: "encryption",
    file: ENCRYPTION_DOC,
    root: "ServerSideEncryptionConfiguration",
    ops: {
      put: "PutBucketEncryption",
      get: "GetBucketEncryption",
      delete: "DeleteBucketEncryption",
    },
    unset: "ServerSideEncryptionConfigurationNotFoundError",
    validate: checkEncryption,
  },
  {
    sub: "replication",
    file: "replication.xml",
    root: "ReplicationConfiguration",
    ops: {
      put: "PutBucketReplication",
      get: "GetBucketReplication",
      delete: "DeleteBucketReplication",
    },
    unset: "ReplicationConfigurationNotFoundError",
    validate: checkReplication,
  },
  {
    sub: "website",
    file: WEBSITE_DOC,
    root: "WebsiteConfiguration",
    ops: { put: "PutBucketWebsite", get: "GetBucketWebsite", delete: "DeleteBucketWebsite" },
    unset: "NoSuchWebsiteConfiguration",
    validate: checkWebsite,
  },
  {
    sub: "lifecycle",
    file: LIFECYCLE_DOC,
    root: "LifecycleConfiguration",
    ops: {
      put: "PutBucketLifecycleConfiguration",
      get: "GetBucketLifecycleConfiguration",
      delete: "DeleteBucketLifecycle",
    },
    unset: "NoSuchLifecycleConfiguration",
    validate: checkLifecycle,
  },
];

/** PUT /{bucket}?<sub>: checked, then kept as sent. */
export function putSetting(setting: BucketSetting): (ctx: RequestContext) => Promise<Response> {
  return async (ctx) => {
    ctx.storage.requireBucket(ctx.bucket);
    const text = await readXmlBody(requestBody(ctx).stream);
    setting.validate(await parseXml(text, setting.root), ctx);
    await ctx.storage.writeBucketConfig(ctx.bucket, setting.file, text);
    return emptyResponse(200);
  };
}

/** GET /{bucket}?<sub>: the document as put, or S3's answer for an unset one. */
export function getSetting(setting: BucketSetting): (ctx: RequestContext) => Promise<Response> {
  return async (ctx) => {
    ctx.storage.requireBucket(ctx.bucket);
    const doc = await ctx.storage.readBucketConfig(ctx.bucket, setting.file);
    if (doc) return xmlResponse(doc.text);
    if (typeof setting.unset === "string") throw new S3Error(setting.unset);
    return xmlResponse(renderXml(setting.root, setting.unset));
  };
}

/** DELETE /{bucket}?<sub> */
export function deleteSetting(setting: BucketSetting): (ctx: RequestContext) => Promise<Response> {
  return deleteDocument(setting.file);
}

/** POST /{bucket}/{key}?restore: nothing is archived here, so no object can be restored. */
export function restoreObject(ctx: RequestContext): Response {
  ctx.storage.headObject(ctx.bucket, ctx.key);
  throw new S3Error(
    "InvalidObjectState",
    "Restore is not allowed for the object's current storage class",
  );
}

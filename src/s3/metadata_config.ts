/**
 * S3 Metadata configurations (V1 `?metadataTable`, V2 `?metadataConfiguration`
 * and its table updates): checked as S3 checks them, kept, given back and
 * deleted. S3 writes the tables into S3 Tables, which geckos3 has not, so every
 * table reports what S3 reports for a table it could not create: status
 * FAILED with an error (API_ErrorDetails). A bucket has at most one
 * configuration, shared by both APIs; V1 calls on a V2 configuration answer
 * 405 (API_GetBucketMetadataTableConfiguration).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucketMetadataConfiguration.html
 */
import { S3Error } from "../errors.ts";
import { requestBody, type RequestContext } from "./context.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { parseXml, readXmlBody, renderXml, type XmlNode, xmlText } from "./xml.ts";

/** The configuration's document among the bucket's configuration documents. */
export const METADATA_DOC = "metadata.json";

type State = "ENABLED" | "DISABLED";

/** Server-side encryption of a metadata table. */
interface TableEncryption {
  algorithm: "aws:kms" | "AES256";
  kmsKeyArn?: string;
}

/** A table that is turned on or off (inventory, annotation). */
interface OptionalTable {
  state: State;
  encryption?: TableEncryption;
  role?: string;
}

/** The kept configuration. */
interface MetadataDocument {
  version: 1 | 2;
  /** V1: the customer's table bucket and table. */
  destination?: { tableBucketArn: string; tableName: string };
  journal: { expiration: State; days?: number; encryption?: TableEncryption };
  inventory: OptionalTable;
  annotation?: OptionalTable;
}

type Doc = Record<string, unknown>;

/** What every table reports: geckos3 keeps the configuration and writes no table. */
const NO_TABLE = {
  ErrorCode: "TableBucketNotFound",
  ErrorMessage: "geckos3 has no S3 Tables: the configuration is kept and no table is written.",
};

/** S3 Metadata's namespace for V1 tables in a customer table bucket. */
const V1_NAMESPACE = "aws_s3_metadata";

/** Most days S3 takes for journal record expiration, and the fewest. */
const MIN_EXPIRATION_DAYS = 7;
const MAX_EXPIRATION_DAYS = 2147483647;

const TABLE_BUCKET_ARN =
  /^arn:aws[a-z-]*:s3tables:[a-z0-9-]+:\d{12}:bucket\/[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const TABLE_NAME = /^[a-z0-9][a-z0-9_]{0,254}$/;

function objectAt(doc: Doc, name: string, required: boolean): Doc | undefined {
  const v = doc[name];
  if (v === undefined) {
    if (required) throw new S3Error("MalformedXML");
    return undefined;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new S3Error("MalformedXML");
  return v as Doc;
}

function stateOf(doc: Doc, name: string): State {
  const v = xmlText(doc[name]);
  if (v !== "ENABLED" && v !== "DISABLED") throw new S3Error("MalformedXML");
  return v;
}

function encryptionOf(doc: Doc): TableEncryption | undefined {
  const e = objectAt(doc, "EncryptionConfiguration", false);
  if (!e) return undefined;
  const algorithm = xmlText(e.SseAlgorithm);
  if (algorithm !== "aws:kms" && algorithm !== "AES256") throw new S3Error("MalformedXML");
  const kmsKeyArn = xmlText(e.KmsKeyArn) || undefined;
  if (algorithm === "aws:kms" && !kmsKeyArn) {
    throw new S3Error("InvalidArgument", "A KmsKeyArn is required when SseAlgorithm is aws:kms.");
  }
  if (algorithm === "AES256" && kmsKeyArn) {
    throw new S3Error(
      "InvalidArgument",
      "A KmsKeyArn is only allowed when SseAlgorithm is aws:kms.",
    );
  }
  return kmsKeyArn ? { algorithm, kmsKeyArn } : { algorithm };
}

function journalOf(doc: Doc): MetadataDocument["journal"] {
  const rec = objectAt(doc, "RecordExpiration", true)!;
  const expiration = stateOf(rec, "Expiration");
  const daysText = xmlText(rec.Days);
  if (expiration === "DISABLED") {
    if (daysText !== "") {
      throw new S3Error("InvalidArgument", "Days can only be given when Expiration is ENABLED.");
    }
    return { expiration, encryption: encryptionOf(doc) };
  }
  const days = Number(daysText);
  if (
    daysText === "" || !Number.isInteger(days) || days < MIN_EXPIRATION_DAYS ||
    days > MAX_EXPIRATION_DAYS
  ) {
    throw new S3Error(
      "InvalidArgument",
      `Days must be an integer from ${MIN_EXPIRATION_DAYS} to ${MAX_EXPIRATION_DAYS} when Expiration is ENABLED.`,
    );
  }
  return { expiration, days, encryption: encryptionOf(doc) };
}

function optionalTableOf(doc: Doc, withRole: boolean): OptionalTable {
  const table: OptionalTable = { state: stateOf(doc, "ConfigurationState") };
  const encryption = encryptionOf(doc);
  if (encryption) table.encryption = encryption;
  const role = xmlText(doc.Role);
  if (withRole && role) table.role = role;
  return table;
}

async function bodyOf(ctx: RequestContext, root: string): Promise<Doc> {
  ctx.storage.requireBucket(ctx.bucket);
  return await parseXml(await readXmlBody(requestBody(ctx).stream), root);
}

async function readDocument(ctx: RequestContext): Promise<MetadataDocument | null> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await ctx.storage.readBucketConfig(ctx.bucket, METADATA_DOC);
  if (!doc) return null;
  try {
    return JSON.parse(doc.text) as MetadataDocument;
  } catch {
    // Edited by hand into something else: as if there were none, so it can be deleted and made anew.
    return null;
  }
}

function writeDocument(ctx: RequestContext, doc: MetadataDocument | null): Promise<void> {
  return ctx.storage.writeBucketConfig(
    ctx.bucket,
    METADATA_DOC,
    doc ? JSON.stringify(doc, null, 2) : null,
  );
}

async function createDocument(ctx: RequestContext, doc: MetadataDocument): Promise<Response> {
  if (await readDocument(ctx)) {
    throw new S3Error(
      "InvalidRequest",
      "A metadata configuration already exists for this bucket; delete it before creating another.",
    );
  }
  await writeDocument(ctx, doc);
  return emptyResponse(200);
}

async function existing(ctx: RequestContext): Promise<MetadataDocument> {
  const doc = await readDocument(ctx);
  if (!doc) throw new S3Error("MetadataConfigurationNotFound");
  return doc;
}

function v1Only(doc: MetadataDocument): void {
  if (doc.version !== 1) {
    throw new S3Error(
      "MethodNotAllowed",
      "This bucket's metadata configuration is V2: use the GetBucketMetadataConfiguration API.",
    );
  }
}

function v2Only(doc: MetadataDocument): void {
  if (doc.version !== 2) {
    throw new S3Error(
      "MethodNotAllowed",
      "This bucket's metadata configuration is V1: delete it and create a V2 configuration.",
    );
  }
}

function optionalTableXml(table: OptionalTable | undefined, name: string): XmlNode | undefined {
  if (!table) return undefined;
  if (table.state === "DISABLED") return { ConfigurationState: "DISABLED", Role: table.role };
  return {
    ConfigurationState: "ENABLED",
    TableStatus: "FAILED",
    Error: NO_TABLE,
    TableName: name,
    Role: table.role,
  };
}

/** POST /{bucket}?metadataConfiguration (CreateBucketMetadataConfiguration). */
export async function createMetadataConfiguration(ctx: RequestContext): Promise<Response> {
  const body = await bodyOf(ctx, "MetadataConfiguration");
  const inventory = objectAt(body, "InventoryTableConfiguration", false);
  const annotation = objectAt(body, "AnnotationTableConfiguration", false);
  return await createDocument(ctx, {
    version: 2,
    journal: journalOf(objectAt(body, "JournalTableConfiguration", true)!),
    inventory: inventory ? optionalTableOf(inventory, false) : { state: "DISABLED" },
    ...(annotation ? { annotation: optionalTableOf(annotation, true) } : {}),
  });
}

/** POST /{bucket}?metadataTable (CreateBucketMetadataTableConfiguration, V1). */
export async function createMetadataTableConfiguration(ctx: RequestContext): Promise<Response> {
  const body = await bodyOf(ctx, "MetadataTableConfiguration");
  const dest = objectAt(body, "S3TablesDestination", true)!;
  const tableBucketArn = xmlText(dest.TableBucketArn);
  const tableName = xmlText(dest.TableName);
  if (!tableBucketArn || !tableName) throw new S3Error("MalformedXML");
  if (!TABLE_BUCKET_ARN.test(tableBucketArn)) {
    throw new S3Error("InvalidArgument", "The TableBucketArn is not a valid table bucket ARN.");
  }
  if (!TABLE_NAME.test(tableName)) {
    throw new S3Error(
      "InvalidArgument",
      "The TableName must be 1 to 255 lowercase letters, numbers and underscores.",
    );
  }
  return await createDocument(ctx, {
    version: 1,
    destination: { tableBucketArn, tableName },
    journal: { expiration: "DISABLED" },
    inventory: { state: "DISABLED" },
  });
}

/** GET /{bucket}?metadataConfiguration: V1 and V2 configurations alike. */
export async function getMetadataConfiguration(ctx: RequestContext): Promise<Response> {
  const doc = await existing(ctx);
  const dest = doc.destination;
  const journal = doc.journal;
  return xmlResponse(renderXml("GetBucketMetadataConfigurationResult", {
    MetadataConfigurationResult: {
      DestinationResult: dest
        ? {
          TableBucketType: "customer",
          TableBucketArn: dest.tableBucketArn,
          TableNamespace: V1_NAMESPACE,
        }
        : { TableBucketType: "aws", TableNamespace: `b_${ctx.bucket}` },
      JournalTableConfigurationResult: {
        TableStatus: "FAILED",
        Error: NO_TABLE,
        TableName: dest ? dest.tableName : "journal",
        TableArn: dest ? `${dest.tableBucketArn}/table/${dest.tableName}` : undefined,
        RecordExpiration: { Expiration: journal.expiration, Days: journal.days },
      },
      InventoryTableConfigurationResult: optionalTableXml(doc.inventory, "inventory"),
      AnnotationTableConfigurationResult: optionalTableXml(doc.annotation, "annotation"),
    },
  }));
}

/** GET /{bucket}?metadataTable (GetBucketMetadataTableConfiguration, V1). */
export async function getMetadataTableConfiguration(ctx: RequestContext): Promise<Response> {
  const doc = await existing(ctx);
  v1Only(doc);
  const { tableBucketArn, tableName } = doc.destination!;
  return xmlResponse(renderXml("GetBucketMetadataTableConfigurationResult", {
    MetadataTableConfigurationResult: {
      S3TablesDestinationResult: {
        TableBucketArn: tableBucketArn,
        TableName: tableName,
        TableArn: `${tableBucketArn}/table/${tableName}`,
        TableNamespace: V1_NAMESPACE,
      },
    },
    Status: "FAILED",
    Error: NO_TABLE,
  }));
}

/** DELETE /{bucket}?metadataConfiguration: removes a V1 or V2 configuration. */
export async function deleteMetadataConfiguration(ctx: RequestContext): Promise<Response> {
  await existing(ctx);
  await writeDocument(ctx, null);
  return emptyResponse(204);
}

/** DELETE /{bucket}?metadataTable (DeleteBucketMetadataTableConfiguration, V1). */
export async function deleteMetadataTableConfiguration(ctx: RequestContext): Promise<Response> {
  v1Only(await existing(ctx));
  await writeDocument(ctx, null);
  return emptyResponse(204);
}

/** PUT /{bucket}?metadataJournalTable: the journal's record expiration. */
export async function updateJournalTable(ctx: RequestContext): Promise<Response> {
  const journal = journalOf(await bodyOf(ctx, "JournalTableConfiguration"));
  const doc = await existing(ctx);
  v2Only(doc);
  await writeDocument(ctx, {
    ...doc,
    journal: { ...journal, encryption: doc.journal.encryption },
  });
  return emptyResponse(200);
}

/** Turns a V2 configuration's inventory or annotation table on or off, as the body says. */
async function updateOptionalTable(
  ctx: RequestContext,
  table: "inventory" | "annotation",
): Promise<Response> {
  const root = table === "inventory"
    ? "InventoryTableConfiguration"
    : "AnnotationTableConfiguration";
  const update = optionalTableOf(await bodyOf(ctx, root), table === "annotation");
  const doc = await existing(ctx);
  v2Only(doc);
  await writeDocument(ctx, { ...doc, [table]: update });
  return emptyResponse(200);
}

/** PUT /{bucket}?metadataInventoryTable: turns the inventory table on or off. */
export function updateInventoryTable(ctx: RequestContext): Promise<Response> {
  return updateOptionalTable(ctx, "inventory");
}

/** PUT /{bucket}?metadataAnnotationTable: turns the annotation table on or off (with its role). */
export function updateAnnotationTable(ctx: RequestContext): Promise<Response> {
  return updateOptionalTable(ctx, "annotation");
}

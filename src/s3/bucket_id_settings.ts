/**
 * Bucket settings kept by id, several per bucket: analytics, inventory,
 * metrics and intelligent-tiering configurations. Put, got, listed and
 * deleted by `?<kind>&id=<id>` as S3 does; none has an effect here.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAnalyticsConfiguration.html
 */
import { S3Error } from "../errors.ts";
import { requestBody, type RequestContext } from "./context.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { parseXml, readXmlBody, renderXmlOf } from "./xml.ts";

/** One kind of setting kept by id. */
export interface IdSetting {
  /** The query sub-resource. */
  sub: string;
  /** The document holding every configuration of the kind, by id. */
  file: string;
  /** The root element of one configuration. */
  root: string;
  /** The root element of the listing. */
  listRoot: string;
  /** Operation names. */
  ops: { put: string; get: string; delete: string; list: string };
}

/** The kinds, by sub-resource. */
export const ID_SETTINGS: readonly IdSetting[] = [
  ["analytics", "AnalyticsConfiguration", "ListBucketAnalyticsConfigurationResult", "Analytics"],
  ["inventory", "InventoryConfiguration", "ListInventoryConfigurationsResult", "Inventory"],
  ["metrics", "MetricsConfiguration", "ListMetricsConfigurationsResult", "Metrics"],
  [
    "intelligent-tiering",
    "IntelligentTieringConfiguration",
    "ListBucketIntelligentTieringConfigurationsOutput",
    "IntelligentTiering",
  ],
].map(([sub, root, listRoot, name]) => ({
  sub,
  file: `${sub}.json`,
  root,
  listRoot,
  ops: {
    put: `PutBucket${name}Configuration`,
    get: `GetBucket${name}Configuration`,
    delete: `DeleteBucket${name}Configuration`,
    list: `ListBucket${name}Configurations`,
  },
}));

/** S3's configuration ids: up to 64 of letters, digits, `-`, `_` and `.`. */
const ID = /^[A-Za-z0-9._-]{1,64}$/;

function idOf(ctx: RequestContext): string {
  const id = ctx.query.get("id");
  if (id === null || !ID.test(id)) {
    throw new S3Error("InvalidArgument", "The id parameter is missing or not valid.", {
      extra: { ArgumentName: "id", ArgumentValue: id ?? "" },
    });
  }
  return id;
}

async function readAll(ctx: RequestContext, s: IdSetting): Promise<Record<string, string>> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await ctx.storage.readBucketConfig(ctx.bucket, s.file);
  return doc ? JSON.parse(doc.text) as Record<string, string> : {};
}

function write(ctx: RequestContext, s: IdSetting, all: Record<string, string>): Promise<void> {
  const text = Object.keys(all).length > 0 ? JSON.stringify(all) : null;
  return ctx.storage.writeBucketConfig(ctx.bucket, s.file, text);
}

/** PUT /{bucket}?<kind>&id=<id>: the document's Id must be the id asked for. */
export function putIdSetting(s: IdSetting): (ctx: RequestContext) => Promise<Response> {
  return async (ctx) => {
    const id = idOf(ctx);
    const all = await readAll(ctx, s);
    const text = await readXmlBody(requestBody(ctx).stream);
    const doc = await parseXml(text, s.root);
    if (doc.Id !== id) {
      throw new S3Error(
        "InvalidArgument",
        "The Id in the configuration does not match the id parameter.",
      );
    }
    all[id] = text;
    await write(ctx, s, all);
    return emptyResponse(200);
  };
}

/** GET /{bucket}?<kind>&id=<id>, or without an id the list of every configuration of the kind. */
export function getIdSetting(s: IdSetting): (ctx: RequestContext) => Promise<Response> {
  return async (ctx) => {
    const all = await readAll(ctx, s);
    if (!ctx.query.has("id")) {
      const items = Object.keys(all).sort().map((id) => all[id]);
      return xmlResponse(renderXmlOf(s.listRoot, items, { IsTruncated: false }));
    }
    const text = all[idOf(ctx)];
    if (text === undefined) throw new S3Error("NoSuchConfiguration");
    return xmlResponse(text);
  };
}

/** DELETE /{bucket}?<kind>&id=<id> */
export function deleteIdSetting(s: IdSetting): (ctx: RequestContext) => Promise<Response> {
  return async (ctx) => {
    const id = idOf(ctx);
    const all = await readAll(ctx, s);
    if (!(id in all)) throw new S3Error("NoSuchConfiguration");
    delete all[id];
    await write(ctx, s, all);
    return emptyResponse(204);
  };
}

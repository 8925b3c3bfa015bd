/** GetBucketNotificationConfiguration and PutBucketNotificationConfiguration. */
import { eventOrigin, requestBody, type RequestContext } from "./context.ts";
import { emptyResponse, xmlResponse } from "./response.ts";
import { parseXml, readXmlBody, renderXml } from "./xml.ts";
import {
  NOTIFICATION_DOC,
  parseNotificationConfig,
  renderNotificationConfig,
} from "./notification_config.ts";

/** GET /{bucket}?notification: the configuration as put (with Ids), or the empty one. */
export async function getNotificationConfiguration(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await ctx.storage.readBucketConfig(ctx.bucket, NOTIFICATION_DOC);
  return xmlResponse(doc?.text ?? renderXml("NotificationConfiguration", {}));
}

/**
 * PUT /{bucket}?notification: replaces the configuration (an empty one
 * removes it), each destination a target of this server, and sends each
 * destination S3's test event.
 */
export async function putNotificationConfiguration(ctx: RequestContext): Promise<Response> {
  ctx.storage.requireBucket(ctx.bucket);
  const doc = await parseXml(
    await readXmlBody(requestBody(ctx).stream),
    "NotificationConfiguration",
  );
  const config = parseNotificationConfig(doc, ctx.notifier.targetIds());
  const empty = config.rules.length === 0 && !config.eventBridge;
  await ctx.storage.writeBucketConfig(
    ctx.bucket,
    NOTIFICATION_DOC,
    empty ? null : renderNotificationConfig(config),
  );
  if (ctx.headers.get("x-amz-skip-destination-validation")?.toLowerCase() !== "true") {
    await ctx.notifier.testEvents(eventOrigin(ctx), config);
  }
  return emptyResponse(200);
}

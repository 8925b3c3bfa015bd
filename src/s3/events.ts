/**
 * Event notifications: the records S3 sends when objects change, queued
 * durably for each target a bucket's configuration names, under the key's
 * lock (see Storage's `committed` hooks) so that a key's events are queued,
 * sequenced and delivered in the order its changes were made. Delivery is
 * the sender's (notification_sender.ts).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
import type { NotifyTarget } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import type { ObjectMeta, Storage } from "../storage/mod.ts";
import { BucketConfigCache } from "./bucket_cache.ts";
import {
  matchingRules,
  NOTIFICATION_DOC,
  type NotificationConfig,
  type NotificationRule,
  parseNotificationConfig,
} from "./notification_config.ts";
import { HOST_ID } from "./response.ts";
import { parseXml } from "./xml.ts";

/** Who and what made an event: the request (or the lifecycle scanner). */
export interface EventOrigin {
  bucket: string;
  requestId: string;
  sourceIp: string;
  /** The caller, as S3 names it in `userIdentity.principalId`. */
  principalId: string;
}

/** The object an event is about, as its record describes it. */
interface EventObject {
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
}

/** Each bucket's notification configuration, parsed; null for none. */
const configs = new BucketConfigCache<NotificationConfig | null>(async (storage, bucket) => {
  const doc = await storage.readBucketConfig(bucket, NOTIFICATION_DOC);
  if (!doc) return null;
  return parseNotificationConfig(await parseXml(doc.text, "NotificationConfiguration"));
});

/** What the lifecycle scanner's events name as their origin, as S3's do. */
export const LIFECYCLE_ORIGIN = { sourceIp: "s3.amazonaws.com", principalId: "s3.amazonaws.com" };

/** Queues event notifications for the targets buckets name. */
export class Notifier {
  /** The ids of the configured targets. */
  readonly #targets: ReadonlySet<string>;
  #listeners: (() => void)[] = [];

  /** A notifier over `storage`'s queues for `targets`; `count` is told what became of events. */
  constructor(
    private readonly storage: Storage,
    private readonly opts: {
      targets: readonly NotifyTarget[];
      region: string;
      log: Logger;
      count: (target: string, state: string, n?: number) => void;
    },
  ) {
    this.#targets = new Set(opts.targets.map((t) => t.id));
  }

  /** The ids of the configured targets. */
  targetIds(): ReadonlySet<string> {
    return this.#targets;
  }

  /** Calls `listener` whenever an event was queued by this server. */
  onQueued(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /**
   * The `committed` hook of a write that makes event `name`
   * (`s3:ObjectCreated:Put`) of `key`; undefined when the bucket is known to
   * send no events (no hook to run under the lock).
   */
  created(
    origin: EventOrigin,
    name: string,
    key: string,
  ): ((meta: ObjectMeta) => Promise<void>) | undefined {
    if (this.#silent(origin.bucket)) return undefined;
    return (meta) =>
      this.emit(origin, name, { key, size: meta.size, etag: meta.etag, versionId: meta.versionId });
  }

  /**
   * The `committed` hook of a delete of `key`: `ObjectRemoved:Delete`, or
   * `:DeleteMarkerCreated` when it made a delete marker (a delete that named
   * a version removes, whatever it was); `LifecycleExpiration` for the
   * lifecycle scanner's.
   */
  removed(
    origin: EventOrigin,
    target: { key: string; versionId?: string },
    family: "ObjectRemoved" | "LifecycleExpiration" = "ObjectRemoved",
  ): ((done: { versionId?: string; deleteMarker?: boolean }) => Promise<void>) | undefined {
    if (this.#silent(origin.bucket)) return undefined;
    return (done) => {
      const made = done.deleteMarker && target.versionId === undefined;
      return this.emit(origin, `s3:${family}:${made ? "DeleteMarkerCreated" : "Delete"}`, {
        key: target.key,
        versionId: done.versionId,
      });
    };
  }

  /** True when the bucket's configuration is known and sends nothing. */
  #silent(bucket: string): boolean {
    if (this.#targets.size === 0) return true;
    const known = configs.get(this.storage, bucket);
    return known === null || (!(known instanceof Promise) && known.rules.length === 0);
  }

  /** Queues event `name` of an object for every target whose rule takes it. */
  async emit(origin: EventOrigin, name: string, object: EventObject): Promise<void> {
    if (this.#targets.size === 0) return;
    let config: NotificationConfig | null;
    try {
      config = await configs.get(this.storage, origin.bucket);
    } catch (e) {
      this.opts.log.event("error", "notification configuration unreadable", {
        bucket: origin.bucket,
        error: String(e),
      });
      return;
    }
    if (!config) return;
    for (const rule of matchingRules(config, name, object.key)) {
      await this.#queue(
        rule,
        (sequencer) =>
          JSON.stringify({ Records: [this.#record(origin, { rule, name, object, sequencer })] }),
      );
    }
  }

  /** Queues S3's `s3:TestEvent` for each destination of a configuration just put. */
  async testEvents(origin: EventOrigin, config: NotificationConfig): Promise<void> {
    const sent = new Set<string>();
    for (const rule of config.rules) {
      if (sent.has(rule.target)) continue;
      sent.add(rule.target);
      await this.#queue(rule, () =>
        JSON.stringify({
          Service: "Amazon S3",
          Event: "s3:TestEvent",
          Time: new Date().toISOString(),
          Bucket: origin.bucket,
          RequestId: origin.requestId,
          HostId: HOST_ID,
        }));
    }
  }

  async #queue(rule: NotificationRule, line: (sequencer: string) => string): Promise<void> {
    if (!this.#targets.has(rule.target)) return; // a target since removed from the configuration
    if (await this.storage.events.append(rule.target, line)) {
      this.opts.count(rule.target, "queued");
      for (const listener of this.#listeners) listener();
      return;
    }
    this.opts.count(rule.target, "dropped");
    this.opts.log.event("warn", "notification dropped: the target's queue is full", {
      target: rule.target,
    });
  }

  #record(
    origin: EventOrigin,
    e: { rule: NotificationRule; name: string; object: EventObject; sequencer: string },
  ): Record<string, unknown> {
    const { object } = e;
    return {
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: this.opts.region,
      eventTime: new Date().toISOString(),
      eventName: e.name.slice("s3:".length),
      userIdentity: { principalId: origin.principalId },
      requestParameters: { sourceIPAddress: origin.sourceIp },
      responseElements: { "x-amz-request-id": origin.requestId, "x-amz-id-2": HOST_ID },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: e.rule.id,
        bucket: {
          name: origin.bucket,
          ownerIdentity: { principalId: OWNER_ID },
          arn: `arn:aws:s3:::${origin.bucket}`,
        },
        object: {
          key: eventKey(object.key),
          ...(object.size !== undefined ? { size: object.size } : {}),
          ...(object.etag !== undefined ? { eTag: object.etag.replaceAll('"', "") } : {}),
          ...(object.versionId !== undefined ? { versionId: object.versionId } : {}),
          sequencer: e.sequencer,
        },
      },
    };
  }
}

/** The bucket owner's id in records (the one account's). */
const OWNER_ID = "A000000000000";

/**
 * A key as event records carry it: URL-encoded the way S3 (Java's
 * URLEncoder) encodes it, a space as `+`.
 */
export function eventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
    .replaceAll("%20", "+");
}

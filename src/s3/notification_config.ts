/**
 * A bucket's notification configuration: S3's document (queue, topic and
 * function configurations, each with events and a key filter; EventBridge),
 * checked as S3 checks it, and which of its rules an event matches. A
 * destination ARN names one of the server's notification targets by its
 * last part (see config/notify_targets.ts).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
 */
import { S3Error } from "../errors.ts";
import { targetIdOfArn } from "../config/mod.ts";
import { asArray, renderXml, type XmlNode, xmlText } from "./xml.ts";

/** The stored document (rendered by renderNotificationConfig). */
export const NOTIFICATION_DOC = "notification.xml";

/** One configuration of the document: where which events of which keys go. */
export interface NotificationRule {
  /** Its Id (one is made when the document has none, as S3 does). */
  id: string;
  /** Queue, Topic or CloudFunction: the element it came in. */
  kind: DestinationKind;
  /** The destination ARN as given. */
  arn: string;
  /** The target it names. */
  target: string;
  /** Event types, as given (`s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`, ...). */
  events: string[];
  /** Key filter ("" for none). */
  prefix: string;
  suffix: string;
}

/** A bucket's notification configuration, parsed. */
export interface NotificationConfig {
  rules: NotificationRule[];
  /** Whether EventBridge delivery was asked for (kept; geckos3 has no EventBridge). */
  eventBridge: boolean;
}

type DestinationKind = "Queue" | "Topic" | "CloudFunction";
const DESTINATIONS: [DestinationKind, string][] = [
  ["Topic", "TopicConfiguration"],
  ["Queue", "QueueConfiguration"],
  ["CloudFunction", "CloudFunctionConfiguration"],
];

/** Event types S3 delivers, by family; `s3:<family>:*` names a whole family. */
const EVENT_TYPES: Record<string, string[]> = {
  ObjectCreated: ["Put", "Post", "Copy", "CompleteMultipartUpload"],
  ObjectRemoved: ["Delete", "DeleteMarkerCreated"],
  ObjectRestore: ["Post", "Completed", "Delete"],
  ObjectTagging: ["Put", "Delete"],
  ObjectAcl: ["Put"],
  LifecycleExpiration: ["Delete", "DeleteMarkerCreated"],
  LifecycleTransition: [],
  IntelligentTiering: [],
  ReducedRedundancyLostObject: [],
  Replication: [
    "OperationFailedReplication",
    "OperationMissedThreshold",
    "OperationReplicatedAfterThreshold",
    "OperationNotTracked",
  ],
};

/** True when `event` is a type S3 accepts in a configuration. */
function isEventType(event: string): boolean {
  const m = /^s3:([A-Za-z]+)(?::(.+))?$/.exec(event);
  if (!m) return false;
  const members = EVENT_TYPES[m[1]];
  if (!members) return false;
  if (m[2] === undefined) return members.length === 0;
  return m[2] === "*" || members.includes(m[2]);
}

/** True when a configured event type (`s3:ObjectCreated:*`) covers event `name` (`s3:ObjectCreated:Put`). */
export function eventCovers(configured: string, name: string): boolean {
  if (configured === name) return true;
  return configured.endsWith(":*") && name.startsWith(configured.slice(0, -1));
}

function invalid(message: string, name?: string, value?: string): S3Error {
  return new S3Error(
    "InvalidArgument",
    message,
    name === undefined
      ? undefined
      : { extra: { ArgumentName1: name, ArgumentValue1: value ?? "" } },
  );
}

/**
 * Parses a PutBucketNotificationConfiguration document, checked as S3 checks
 * it: known event types, prefix and suffix rules, no two configurations
 * sharing an event type for overlapping keys, and (when `targets` is given)
 * destinations that name a configured target.
 */
export function parseNotificationConfig(
  doc: Record<string, unknown>,
  targets?: ReadonlySet<string>,
): NotificationConfig {
  const rules: NotificationRule[] = [];
  const unknown: string[] = [];
  for (const [kind, element] of DESTINATIONS) {
    for (const raw of asArray(doc[element] as Record<string, unknown>[] | undefined)) {
      const c = typeof raw === "object" && raw !== null ? raw : {};
      const arn = xmlText(c[kind]);
      if (arn === "") throw new S3Error("MalformedXML");
      const events = asArray(c.Event as unknown[] | undefined).map(xmlText);
      if (events.length === 0) throw new S3Error("MalformedXML");
      for (const e of events) {
        if (!isEventType(e)) throw invalid("The event is not supported for notifications", e, e);
      }
      const target = targetIdOfArn(arn);
      if (targets && !targets.has(target)) unknown.push(arn);
      rules.push({
        id: xmlText(c.Id) || crypto.randomUUID(),
        kind,
        arn,
        target,
        events,
        ...keyFilter(c.Filter),
      });
    }
  }
  if (unknown.length > 0) {
    // S3 names each destination it could not validate (ArgumentName1, ArgumentValue1, ...).
    const extra: Record<string, string> = {};
    unknown.forEach((arn, i) => {
      extra[`ArgumentName${i + 1}`] = arn;
      extra[`ArgumentValue${i + 1}`] =
        "The destination does not exist: no notification target of geckos3 has this id";
    });
    throw new S3Error(
      "InvalidArgument",
      "Unable to validate the following destination configurations",
      {
        extra,
      },
    );
  }
  checkOverlaps(rules);
  return { rules, eventBridge: doc.EventBridgeConfiguration !== undefined };
}

/** A configuration's `Filter.S3Key` rules: at most one prefix and one suffix. */
function keyFilter(filter: unknown): { prefix: string; suffix: string } {
  const out = { prefix: "", suffix: "" };
  if (filter === undefined || filter === "") return out;
  const s3Key = (filter as Record<string, unknown>)?.S3Key;
  const seen = new Set<string>();
  for (const rule of asArray((s3Key as Record<string, unknown>)?.FilterRule as unknown[])) {
    const r = rule as Record<string, unknown>;
    const name = xmlText(r?.Name).toLowerCase();
    if (name !== "prefix" && name !== "suffix") {
      throw invalid("filter rule name must be either prefix or suffix", "FilterRule", name);
    }
    if (seen.has(name)) {
      throw invalid(`Cannot specify more than one ${name} rule in a filter.`, "FilterRule", name);
    }
    seen.add(name);
    out[name] = typeof r.Value === "string" ? r.Value : xmlText(r.Value);
  }
  return out;
}

/**
 * Refuses two configurations that would both take an event: a common event
 * type, and key filters that a key can meet together (one prefix starts the
 * other, one suffix ends the other).
 */
function checkOverlaps(rules: readonly NotificationRule[]): void {
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i], b = rules[j];
      const events = a.events.some((x) =>
        b.events.some((y) => eventCovers(x, y) || eventCovers(y, x))
      );
      const prefixes = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
      const suffixes = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
      if (events && prefixes && suffixes) {
        throw invalid(
          "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
        );
      }
    }
  }
}

/** The document as S3 gives it back: every configuration with its Id. */
export function renderNotificationConfig(config: NotificationConfig): string {
  const body: XmlNode = {};
  for (const [kind, element] of DESTINATIONS) {
    const mine = config.rules.filter((r) => r.kind === kind);
    if (mine.length === 0) continue;
    body[element] = mine.map((r) => {
      const rules: XmlNode[] = [];
      if (r.prefix !== "") rules.push({ Name: "prefix", Value: r.prefix });
      if (r.suffix !== "") rules.push({ Name: "suffix", Value: r.suffix });
      return {
        Id: r.id,
        [kind]: r.arn,
        Event: r.events,
        ...(rules.length > 0 ? { Filter: { S3Key: { FilterRule: rules } } } : {}),
      };
    });
  }
  if (config.eventBridge) body.EventBridgeConfiguration = {};
  return renderXml("NotificationConfiguration", body);
}

/** The rules that take event `name` (`s3:ObjectCreated:Put`) of `key`. */
export function matchingRules(
  config: NotificationConfig,
  name: string,
  key: string,
): NotificationRule[] {
  return config.rules.filter((r) =>
    r.events.some((e) => eventCovers(e, name)) && key.startsWith(r.prefix) &&
    key.endsWith(r.suffix)
  );
}

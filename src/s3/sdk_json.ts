/**
 * S3 configuration documents written in the JSON shape of the SDKs and
 * aws-cli (`--lifecycle-configuration file://rules.json`), turned into the
 * XML S3 takes: a list becomes its repeated element (`Rules` -> `<Rule>`),
 * and the few members whose XML name differs are renamed, as the SDKs'
 * serializers do. Used by the seed file, so its settings read like the
 * aws-cli commands people already have.
 */
import { renderXml, type XmlNode, type XmlValue } from "./xml.ts";

/** The element of each list member, by the list's JSON name. */
const ITEM: Record<string, string> = {
  Rules: "Rule",
  Tags: "Tag",
  Transitions: "Transition",
  NoncurrentVersionTransitions: "NoncurrentVersionTransition",
  CORSRules: "CORSRule",
  AllowedOrigins: "AllowedOrigin",
  AllowedMethods: "AllowedMethod",
  AllowedHeaders: "AllowedHeader",
  ExposeHeaders: "ExposeHeader",
  Events: "Event",
  FilterRules: "FilterRule",
  QueueConfigurations: "QueueConfiguration",
  TopicConfigurations: "TopicConfiguration",
  LambdaFunctionConfigurations: "CloudFunctionConfiguration",
};

/** Members whose XML name differs from the JSON one. */
const RENAME: Record<string, string> = {
  QueueArn: "Queue",
  TopicArn: "Topic",
  LambdaFunctionArn: "CloudFunction",
};

function convert(value: unknown): XmlValue {
  if (Array.isArray(value)) return value.map(convert);
  if (typeof value !== "object" || value === null) return value as string;
  const node: XmlNode = {};
  for (const [name, member] of Object.entries(value)) {
    if (Array.isArray(member)) node[ITEM[name] ?? name] = member.map(convert);
    // A notification filter's `Key` holds its rules (`<S3Key>`); a tag's `Key` is a string.
    else if (name === "Key" && typeof member === "object") node.S3Key = convert(member);
    else node[RENAME[name] ?? name] = convert(member);
  }
  return node;
}

/** The XML document `root` of a configuration in the SDK's JSON shape. */
export function xmlFromSdkJson(root: string, value: Record<string, unknown>): string {
  return renderXml(root, convert(value) as XmlNode);
}

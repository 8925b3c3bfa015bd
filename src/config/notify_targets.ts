/**
 * Event notification targets, as `-notify-targets` gives them: a JSON
 * document (in a file, or the flag's value itself when it starts with `{`)
 * of the form
 *
 *   {"targets": [
 *     {"id": "thumbs", "type": "webhook", "url": "http://127.0.0.1:8080/s3",
 *      "authorization": "Bearer abc", "timeout": "5s"},
 *     {"id": "audit", "type": "file", "path": "/var/log/geckos3-events.jsonl"}
 *   ]}
 *
 * A bucket's notification configuration names a target by an ARN whose last
 * part is its id (`arn:geckos3:sqs:::thumbs`, or an AWS-shaped one such as
 * `arn:aws:sqs:us-east-1:000000000000:thumbs`).
 */
import { ConfigError } from "./types.ts";
import { parseDuration } from "./parse.ts";

/** A webhook: each event POSTed as S3's JSON to `url`. */
export interface WebhookTarget {
  id: string;
  type: "webhook";
  url: string;
  /** Sent as the Authorization header, when given. */
  authorization?: string;
  /** Longest wait for the receiver's answer, in ms. */
  timeoutMs: number;
}

/** An append-only JSON-lines file: one event record per line. */
export interface FileTarget {
  id: string;
  type: "file";
  path: string;
}

/** Somewhere events are sent. */
export type NotifyTarget = WebhookTarget | FileTarget;

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DEFAULT_TIMEOUT_MS = 5000;

/** Parses the targets document; a ConfigError names what is wrong in one line. */
export function parseNotifyTargets(text: string): NotifyTarget[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`notify targets: not JSON (${(e as Error).message})`);
  }
  const list = (doc as { targets?: unknown })?.targets;
  if (!Array.isArray(list)) throw new ConfigError('notify targets: want {"targets": [...]}');
  const seen = new Set<string>();
  return list.map((t: Record<string, unknown>, i) => {
    const where = `notify target ${i + 1}`;
    if (typeof t !== "object" || t === null) throw new ConfigError(`${where}: not an object`);
    const id = t.id;
    if (typeof id !== "string" || !ID.test(id)) {
      throw new ConfigError(`${where}: "id" must be 1-64 letters, digits, ".", "_" or "-"`);
    }
    if (seen.has(id)) throw new ConfigError(`${where}: the id "${id}" is used twice`);
    seen.add(id);
    if (t.type === "webhook") {
      let url: URL;
      try {
        url = new URL(String(t.url));
      } catch {
        throw new ConfigError(`${where} (${id}): "url" must be an http or https URL`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new ConfigError(`${where} (${id}): "url" must be an http or https URL`);
      }
      if (t.authorization !== undefined && typeof t.authorization !== "string") {
        throw new ConfigError(`${where} (${id}): "authorization" must be a string`);
      }
      const timeoutMs = t.timeout === undefined
        ? DEFAULT_TIMEOUT_MS
        : parseDuration(String(t.timeout), `${where} (${id}) "timeout"`) * 1000;
      if (timeoutMs <= 0) throw new ConfigError(`${where} (${id}): "timeout" must be positive`);
      return {
        id,
        type: "webhook",
        url: url.href,
        ...(t.authorization ? { authorization: t.authorization as string } : {}),
        timeoutMs,
      };
    }
    if (t.type === "file") {
      if (typeof t.path !== "string" || t.path === "") {
        throw new ConfigError(`${where} (${id}): "path" must name a file`);
      }
      return { id, type: "file", path: t.path };
    }
    throw new ConfigError(`${where} (${id}): "type" must be "webhook" or "file"`);
  });
}

/** The id an ARN names: its last `:`- or `/`-separated part. */
export function targetIdOfArn(arn: string): string {
  return arn.split(/[:/]/).at(-1) ?? "";
}

// @ts-check
/// <reference lib="dom" />
/**
 * Editors of one object's user metadata and tags, as a client changes them:
 * tags with PutObjectTagging, metadata by copying the object onto itself
 * with `x-amz-metadata-directive: REPLACE` (S3 has no other way; in a
 * versioned bucket that makes a new version).
 */
import { enc, s3 } from "./sign.js";
import { all, el, guard, status, text, xmlOf } from "./ui.js";

/** @param {string} s */
const xmlEscape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * `name: value` lines as pairs (blank lines skipped).
 * @param {string} value
 */
function pairs(value) {
  return value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const at = l.indexOf(":");
    if (at < 1) throw new Error("Each line is name: value (" + l + ")");
    return [l.slice(0, at).trim(), l.slice(at + 1).trim()];
  });
}

/**
 * The metadata and tag editors of `key`, whose HEAD answered `head`;
 * `refresh` shows the object again after a change.
 * @param {string} bucket
 * @param {string} key
 * @param {Headers} head
 * @param {() => Promise<void>} refresh
 */
export async function objectEditors(bucket, key, head, refresh) {
  const path = "/" + bucket + "/" + key;
  const tagDoc = await xmlOf(await s3("GET", path, { tagging: "" }));
  const tags = /** @type {HTMLTextAreaElement} */ (el("textarea", {
    rows: "3",
    "aria-label": "Tags (name: value a line)",
  }));
  tags.value = all(tagDoc, "Tag").map((t) => text(t, "Key") + ": " + text(t, "Value")).join("\n");
  const meta = /** @type {HTMLTextAreaElement} */ (el("textarea", {
    rows: "3",
    "aria-label": "Metadata (name: value a line)",
  }));
  meta.value = [...head].filter(([k]) => k.startsWith("x-amz-meta-"))
    .map(([k, v]) => k.slice(11) + ": " + v).join("\n");
  const saveTags = () =>
    guard(async () => {
      const xml = "<Tagging><TagSet>" + pairs(tags.value).map(([k, v]) =>
        "<Tag><Key>" + xmlEscape(k) + "</Key><Value>" + xmlEscape(v) + "</Value></Tag>"
      ).join("") + "</TagSet></Tagging>";
      await s3("PUT", path, { tagging: "" }, enc.encode(xml), {
        "content-type": "application/xml",
      });
      // Said once the details show the change: editing again before then would edit the old view.
      await refresh();
      status("Saved the tags of " + key);
    });
  const saveMeta = () =>
    guard(async () => {
      /** @type {Record<string, string>} */
      const headers = {
        "x-amz-copy-source": encodeURIComponent(bucket + "/" + key).replace(/%2F/g, "/"),
        "x-amz-metadata-directive": "REPLACE",
        "content-type": head.get("content-type") || "application/octet-stream",
      };
      for (const [k, v] of pairs(meta.value)) headers["x-amz-meta-" + k.toLowerCase()] = v;
      await s3("PUT", path, {}, null, headers);
      await refresh();
      status("Saved the metadata of " + key);
    });
  return el(
    "div",
    { class: "editors" },
    el("h3", {}, "Tags"),
    tags,
    el("button", { type: "button", onclick: saveTags }, "Save tags"),
    el("h3", {}, "Metadata"),
    meta,
    el("button", { type: "button", onclick: saveMeta }, "Save metadata"),
  );
}

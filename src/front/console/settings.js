// @ts-check
/// <reference lib="dom" />
/**
 * The settings view of a bucket, read-only: versioning, default
 * encryption, website and lifecycle rules, as the bucket's S3 calls answer
 * them (an unset setting shows as such).
 */
import { s3 } from "./sign.js";
import { $, all, el, text, xmlOf } from "./ui.js";

/**
 * The document a bucket setting answers, or null when it is unset (S3's 404 for it).
 * @param {string} bucket
 * @param {string} sub
 */
async function setting(bucket, sub) {
  try {
    return await xmlOf(await s3("GET", "/" + bucket, { [sub]: "" }));
  } catch (e) {
    if (/^No|NotFound/.test(String(/** @type {Error} */ (e).message))) return null;
    throw e;
  }
}

/**
 * Shows the settings of `bucket`.
 * @param {string} bucket
 */
export async function showSettings(bucket) {
  const [versioning, encryption, website, lifecycle] = await Promise.all(
    ["versioning", "encryption", "website", "lifecycle"].map((sub) => setting(bucket, sub)),
  );
  const box = $("settings");
  box.classList.remove("hidden");
  const row = (/** @type {string} */ name, /** @type {string} */ value) =>
    el("tr", {}, el("th", { scope: "row" }, name), el("td", { "aria-label": name }, value));
  const rules = lifecycle ? all(lifecycle, "Rule") : [];
  box.replaceChildren(
    el("h2", {}, "Settings of " + bucket),
    el(
      "table",
      {},
      el(
        "tbody",
        {},
        row("Versioning", (versioning && text(versioning, "Status")) || "never enabled"),
        row(
          "Default encryption",
          encryption ? text(encryption, "SSEAlgorithm") + " (recorded; files stay plain)" : "none",
        ),
        row(
          "Website",
          website
            ? (text(website, "HostName")
              ? "redirects to " + text(website, "HostName")
              : "index " + text(website, "Suffix") +
                (text(website, "Key") ? ", errors " + text(website, "Key") : ""))
            : "not configured",
        ),
        row("Lifecycle rules", rules.length ? String(rules.length) : "none"),
      ),
    ),
    ...(rules.length
      ? [el(
        "table",
        { "aria-label": "Lifecycle rules" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...["Rule", "Status", "Prefix", "Expires after"].map((h) => el("th", {}, h)),
          ),
        ),
        el(
          "tbody",
          {},
          ...rules.map((r) =>
            el(
              "tr",
              {},
              el("td", {}, text(r, "ID")),
              el("td", {}, text(r, "Status")),
              el("td", {}, text(r, "Prefix")),
              el(
                "td",
                {},
                text(r, "Days")
                  ? text(r, "Days") + " days"
                  : text(r, "Date") || (text(r, "NoncurrentDays")
                    ? text(r, "NoncurrentDays") + " days when noncurrent"
                    : "-"),
              ),
            )
          ),
        ),
      )]
      : []),
  );
}

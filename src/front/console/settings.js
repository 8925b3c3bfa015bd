// @ts-check
/// <reference lib="dom" />
/**
 * The settings view of a bucket: a summary of versioning, default
 * encryption, website and lifecycle rules as the bucket's S3 calls answer
 * them (an unset setting shows as such), then an editor for each setting
 * (versioning, CORS, lifecycle, website, encryption, tags, notifications,
 * Object Lock defaults) that saves and removes it through the same S3
 * calls a client makes, S3's refusal shown beside the setting.
 */
import { enc, s3 } from "./sign.js";
import { $, all, el, guard, status, text, xmlOf } from "./ui.js";

/**
 * The settings the editors cover: sub-resource, title, a starting document
 * for an unset one, and whether S3 has a Delete call for it.
 * @type {[string, string, string, boolean][]}
 */
const EDITABLE = [
  [
    "cors",
    "CORS rules",
    "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    true,
  ],
  [
    "lifecycle",
    "Lifecycle rules",
    "<LifecycleConfiguration><Rule><ID>expire-tmp</ID><Status>Enabled</Status><Filter><Prefix>tmp/</Prefix></Filter><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>",
    true,
  ],
  [
    "website",
    "Website",
    "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>404.html</Key></ErrorDocument></WebsiteConfiguration>",
    true,
  ],
  [
    "encryption",
    "Default encryption",
    "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
    true,
  ],
  [
    "tagging",
    "Tags",
    "<Tagging><TagSet><Tag><Key>team</Key><Value>data</Value></Tag></TagSet></Tagging>",
    true,
  ],
  [
    "notification",
    "Notifications",
    "<NotificationConfiguration></NotificationConfiguration>",
    false,
  ],
  [
    "object-lock",
    "Object Lock defaults",
    "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
    false,
  ],
];

/**
 * A document as indented text, one element a line.
 * @param {Document} doc
 */
function pretty(doc) {
  const flat = new XMLSerializer().serializeToString(doc.documentElement)
    .replace(/ xmlns="[^"]*"/, "");
  let depth = 0;
  return flat.replace(/>\s*</g, ">\n<").split("\n").map((line) => {
    if (/^<\//.test(line)) depth--;
    const out = "  ".repeat(Math.max(0, depth)) + line;
    if (/^<[^/!?][^>]*[^/]>$/.test(line) && !/<\//.test(line)) depth++;
    return out;
  }).join("\n");
}

/**
 * The editor of one setting: its document, Save and (where S3 has one) Remove.
 * @param {string} bucket
 * @param {[string, string, string, boolean]} setting
 * @param {Document | null} current
 */
function editor(bucket, [sub, title, template, deletable], current) {
  const area = /** @type {HTMLTextAreaElement} */ (el("textarea", {
    rows: "8",
    spellcheck: "false",
    "aria-label": title + " document",
  }));
  area.value = current ? pretty(current) : template;
  const problem = el("p", { class: "problem", role: "alert", "aria-label": title + " error" });
  const run = (/** @type {() => Promise<void>} */ fn) =>
    guard(async () => {
      problem.textContent = "";
      try {
        await fn();
      } catch (e) {
        problem.textContent = String(/** @type {Error} */ (e).message);
        throw e;
      }
      await showSettings(bucket);
    });
  const box = el(
    "details",
    { "data-setting": sub },
    el("summary", {}, title + (current ? "" : " (not set)")),
    area,
    el(
      "div",
      { class: "row" },
      el("button", {
        type: "button",
        class: "primary",
        "aria-label": "Save " + title,
        onclick: () =>
          run(async () => {
            await s3("PUT", "/" + bucket, { [sub]: "" }, enc.encode(area.value), {
              "content-type": "application/xml",
            });
            status("Saved " + title.toLowerCase() + " of " + bucket);
          }),
      }, "Save"),
      deletable
        ? el("button", {
          type: "button",
          class: "danger",
          "aria-label": "Remove " + title,
          onclick: () =>
            run(async () => {
              await s3("DELETE", "/" + bucket, { [sub]: "" });
              status("Removed " + title.toLowerCase() + " of " + bucket);
            }),
        }, "Remove")
        : "",
    ),
    problem,
  );
  if (current) box.setAttribute("open", "");
  return box;
}

/**
 * Versioning's state and the buttons that change it.
 * @param {string} bucket
 * @param {string} state
 */
function versioningEditor(bucket, state) {
  const put = (/** @type {string} */ to) =>
    guard(async () => {
      const xml = "<VersioningConfiguration><Status>" + to +
        "</Status></VersioningConfiguration>";
      await s3("PUT", "/" + bucket, { versioning: "" }, enc.encode(xml), {
        "content-type": "application/xml",
      });
      status("Versioning of " + bucket + ": " + to);
      await showSettings(bucket);
    });
  return el(
    "div",
    { class: "row" },
    el("strong", {}, "Versioning"),
    state === "Enabled"
      ? el("button", { type: "button", onclick: () => put("Suspended") }, "Suspend versioning")
      : el("button", { type: "button", onclick: () => put("Enabled") }, "Enable versioning"),
  );
}

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
  const documents = await Promise.all(EDITABLE.map(([sub]) => setting(bucket, sub)));
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
    el("h3", {}, "Change settings"),
    versioningEditor(bucket, (versioning && text(versioning, "Status")) || ""),
    ...EDITABLE.map((setting, i) => editor(bucket, setting, documents[i])),
  );
}

// @ts-check
/// <reference lib="dom" />
/**
 * The versions view: every version and delete marker under a prefix (or of
 * one key), with each version's download, permanent delete and restore (a
 * copy of it made the current version).
 */
import { presign, s3 } from "./sign.js";
import { $, all, el, guard, size, status, text, xmlOf } from "./ui.js";

/**
 * Shows the versions of `bucket` under `prefix`; only those of `key` when given.
 * @param {string} bucket
 * @param {string} prefix
 * @param {string} [key]
 */
export async function showVersions(bucket, prefix, key) {
  const box = $("versions");
  box.classList.remove("hidden");
  box.replaceChildren(el("h2", {}, "Versions of " + (key ?? (prefix || bucket + " (all)"))));
  const body = el("tbody", {});
  box.append(el(
    "table",
    {},
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ...["Key", "Version", "Size", "Modified", "Lock", ""].map((h) => el("th", {}, h)),
      ),
    ),
    body,
  ));
  /** @type {Record<string, string>} */
  const params = { versions: "", prefix: key ?? prefix, "max-keys": "1000" };
  let count = 0;
  /** @type {{ key: string, id: string, cell: HTMLElement }[]} */
  const lockCells = [];
  for (let page = 0; page < 20; page++) {
    const doc = await xmlOf(await s3("GET", "/" + bucket, params));
    const entries = [...all(doc, "Version"), ...all(doc, "DeleteMarker")];
    // The document lists them in S3's order; keep it.
    entries.sort((a, b) => a.compareDocumentPosition(b) & 4 ? -1 : 1);
    for (const v of entries) {
      const k = text(v, "Key");
      if (key !== undefined && k !== key) continue;
      const lockCell = el("td", { class: "muted" });
      body.append(row(bucket, v, lockCell, () => showVersions(bucket, prefix, key)));
      if (v.tagName === "Version") {
        lockCells.push({ key: k, id: text(v, "VersionId"), cell: lockCell });
      }
      count++;
    }
    if (text(doc, "IsTruncated") !== "true") break;
    params["key-marker"] = text(doc, "NextKeyMarker");
    params["version-id-marker"] = text(doc, "NextVersionIdMarker");
  }
  status(count + " version(s)");
  await showLocks(bucket, lockCells);
}

/** Versions whose lock is looked up at most, and how many HEADs run at once. */
const LOCK_LOOKUPS = 200;
const LOCK_PARALLEL = 6;

/**
 * Fills each version's lock cell from a HEAD of it, when the bucket has
 * Object Lock (otherwise no version can have a lock).
 * @param {string} bucket
 * @param {{ key: string, id: string, cell: HTMLElement }[]} cells
 */
async function showLocks(bucket, cells) {
  if (cells.length === 0) return;
  try {
    await s3("GET", "/" + bucket, { "object-lock": "" });
  } catch {
    return; // no Object Lock configuration
  }
  const queue = cells.slice(0, LOCK_LOOKUPS);
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { key, id, cell } = next;
      try {
        const h = (await s3("HEAD", "/" + bucket + "/" + key, { versionId: id })).headers;
        cell.textContent = lockText(h);
      } catch {
        cell.textContent = "?";
      }
    }
  };
  await Promise.all(Array.from({ length: LOCK_PARALLEL }, worker));
}

/**
 * A version's lock in words: its retention's mode and date, and its legal hold.
 * @param {Headers} h
 */
function lockText(h) {
  const parts = [];
  const mode = h.get("x-amz-object-lock-mode");
  const until = h.get("x-amz-object-lock-retain-until-date") ?? "";
  if (mode) {
    const passed = Date.parse(until) <= Date.now();
    parts.push(mode + (passed ? " (passed) " : " until ") + until.slice(0, 19).replace("T", " "));
  }
  if (h.get("x-amz-object-lock-legal-hold") === "ON") parts.push("legal hold");
  return parts.join(" · ") || "none";
}

/**
 * One version's row, with its lock cell (filled later) and its actions;
 * `refresh` shows the list again after one.
 * @param {string} bucket
 * @param {Element} v
 * @param {HTMLElement} lockCell
 * @param {() => Promise<void>} refresh
 */
function row(bucket, v, lockCell, refresh) {
  const key = text(v, "Key");
  const id = text(v, "VersionId");
  const marker = v.tagName === "DeleteMarker";
  const latest = text(v, "IsLatest") === "true";
  const label = key + " " + id;
  const actions = el("td", {});
  if (!marker) {
    actions.append(
      el("button", {
        "aria-label": "Download " + label,
        onclick: () => guard(() => download(bucket, key, id)),
      }, "Download"),
    );
    if (!latest) {
      actions.append(el("button", {
        "aria-label": "Restore " + label,
        onclick: () =>
          guard(async () => {
            const source = bucket + "/" + key + "?versionId=" + encodeURIComponent(id);
            await s3("PUT", "/" + bucket + "/" + key, {}, null, { "x-amz-copy-source": source });
            status("Restored " + id + " as the current version of " + key);
            await refresh();
          }),
      }, "Restore"));
    }
  }
  actions.append(el("button", {
    class: "danger",
    "aria-label": "Delete version " + label,
    onclick: () =>
      guard(async () => {
        if (!confirm("Delete version " + id + " of " + key + " for good?")) return;
        await s3("DELETE", "/" + bucket + "/" + key, { versionId: id });
        status("Deleted version " + id);
        await refresh();
      }),
  }, "Delete"));
  return el(
    "tr",
    {},
    el("td", {}, key),
    el("td", { class: "mono" }, id + (latest ? " (latest)" : "")),
    el("td", { class: "num" }, marker ? "delete marker" : size(Number(text(v, "Size")))),
    el("td", { class: "muted" }, text(v, "LastModified").slice(0, 19).replace("T", " ")),
    lockCell,
    actions,
  );
}

/**
 * Downloads one version through a short presigned link.
 * @param {string} bucket
 * @param {string} key
 * @param {string} versionId
 */
async function download(bucket, key, versionId) {
  const a = el("a", {
    href: await presign(bucket, key, 300, {
      "response-content-disposition": "attachment",
      versionId,
    }),
    download: "",
  });
  document.body.append(a);
  a.click();
  a.remove();
}

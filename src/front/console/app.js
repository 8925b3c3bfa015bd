// @ts-check
/// <reference lib="dom" />
/** The console application: log in, buckets, objects, details; the entry module of index.html. */
import { creds, enc, presign, s3 } from "./sign.js";
import { $, all, el, guard, size, status, text, xmlOf } from "./ui.js";
import { uploadFiles } from "./upload.js";
import { showVersions } from "./versions.js";
import { showAccess } from "./access.js";
import { showSettings } from "./settings.js";
import { objectEditors } from "./object_edit.js";
import { showDashboard } from "./dashboard.js";
import { showActivity } from "./activity.js";
import { showUsers } from "./users.js";

/** @typedef {{ folder: boolean, key: string, size: number, date: string, etag?: string }} Row */

/**
 * What the console shows: the open bucket and prefix, the listing so far, its order.
 * @type {{ bucket: string, prefix: string, token: string | null, rows: Row[], sort: string, desc: boolean }}
 */
export const state = { bucket: "", prefix: "", token: null, rows: [], sort: "name", desc: false };

/** The top-level views, by the id of their section. */
const VIEWS = ["dashboard", "buckets", "objects", "activity", "users"];

/**
 * Shows one top-level view and hides the others.
 * @param {string} id
 */
function showView(id) {
  status("");
  for (const v of VIEWS) $(v).classList.toggle("hidden", v !== id);
  for (const b of document.querySelectorAll("#tabs button")) {
    const view = /** @type {HTMLElement} */ (b).dataset.view;
    b.setAttribute("aria-current", String(view === id || (id === "objects" && view === "buckets")));
  }
}

/** The bucket list. */
async function showBuckets() {
  state.bucket = "";
  showView("buckets");
  const doc = await xmlOf(await s3("GET", "/"));
  const body = $("bucket-rows");
  body.replaceChildren();
  for (const b of all(doc, "Bucket")) {
    const name = text(b, "Name");
    body.append(el(
      "tr",
      {},
      el(
        "td",
        {},
        el("a", {
          href: "#",
          onclick: (/** @type {Event} */ e) => {
            e.preventDefault();
            guard(() => openBucket(name, ""));
          },
        }, name),
      ),
      el(
        "td",
        { class: "hide-narrow muted" },
        text(b, "CreationDate").slice(0, 19).replace("T", " "),
      ),
      el(
        "td",
        {},
        el("button", {
          class: "danger",
          "aria-label": "Delete bucket " + name,
          onclick: () =>
            guard(async () => {
              if (!confirm("Delete bucket " + name + "? It must be empty.")) return;
              await s3("DELETE", "/" + name);
              status("Deleted bucket " + name);
              await showBuckets();
            }),
        }, "Delete"),
      ),
    ));
  }
  status(body.children.length + " bucket(s)");
}

/**
 * Opens a bucket at a prefix: the first page of its listing.
 * @param {string} bucket
 * @param {string} prefix
 */
export async function openBucket(bucket, prefix) {
  Object.assign(state, { bucket, prefix, token: null, rows: [] });
  showView("objects");
  $("search").value = "";
  $("details").classList.add("hidden");
  $("versions").classList.add("hidden");
  $("access").classList.add("hidden");
  $("settings").classList.add("hidden");
  renderCrumbs();
  await loadPage();
}

function renderCrumbs() {
  const nav = $("crumbs");
  nav.replaceChildren();
  nav.append(
    el("a", {
      href: "#",
      onclick: (/** @type {Event} */ e) => {
        e.preventDefault();
        guard(showBuckets);
      },
    }, "Buckets"),
    " / ",
    el("a", {
      href: "#",
      onclick: (/** @type {Event} */ e) => {
        e.preventDefault();
        guard(() => openBucket(state.bucket, ""));
      },
    }, state.bucket),
    " / ",
  );
  let acc = "";
  for (const part of state.prefix.split("/").filter(Boolean)) {
    acc += part + "/";
    const p = acc;
    nav.append(
      el("a", {
        href: "#",
        onclick: (/** @type {Event} */ e) => {
          e.preventDefault();
          guard(() => openBucket(state.bucket, p));
        },
      }, part),
      " / ",
    );
  }
}

async function loadPage() {
  const prefix = state.prefix + $("search").value;
  /** @type {Record<string, string>} */
  const params = { "list-type": "2", delimiter: "/", prefix, "max-keys": "200" };
  if (state.token) params["continuation-token"] = state.token;
  const doc = await xmlOf(await s3("GET", "/" + state.bucket, params));
  for (const p of all(doc, "CommonPrefixes")) {
    state.rows.push({ folder: true, key: text(p, "Prefix"), size: 0, date: "" });
  }
  for (const c of all(doc, "Contents")) {
    const key = text(c, "Key");
    if (key === state.prefix) continue;
    state.rows.push({
      folder: false,
      key,
      size: Number(text(c, "Size")),
      date: text(c, "LastModified"),
      etag: text(c, "ETag"),
    });
  }
  state.token = text(doc, "IsTruncated") === "true" ? text(doc, "NextContinuationToken") : null;
  $("more").classList.toggle("hidden", !state.token);
  renderRows();
}

function renderRows() {
  const rows = [...state.rows].sort((a, b) => {
    if (a.folder !== b.folder) return a.folder ? -1 : 1;
    const v = state.sort === "size"
      ? a.size - b.size
      : state.sort === "date"
      ? a.date.localeCompare(b.date)
      : a.key.localeCompare(b.key);
    return state.desc ? -v : v;
  });
  const body = $("object-rows");
  body.replaceChildren();
  for (const r of rows) {
    const name = r.key.slice(state.prefix.length);
    const check = el("input", {
      type: "checkbox",
      "aria-label": "Select " + name,
      "data-key": r.key,
    });
    const link = r.folder
      ? el("a", {
        href: "#",
        onclick: (/** @type {Event} */ e) => {
          e.preventDefault();
          guard(() => openBucket(state.bucket, r.key));
        },
      }, "📁 " + name)
      : el("a", {
        href: "#",
        onclick: (/** @type {Event} */ e) => {
          e.preventDefault();
          guard(() => details(r.key));
        },
      }, name);
    body.append(
      el(
        "tr",
        {},
        el("td", {}, r.folder ? "" : check),
        el("td", {}, link),
        el("td", { class: "num" }, r.folder ? "" : size(r.size)),
        el("td", { class: "hide-narrow muted" }, r.date.slice(0, 19).replace("T", " ")),
        el(
          "td",
          {},
          r.folder ? "" : el("button", { onclick: () => guard(() => download(r.key)) }, "Download"),
        ),
      ),
    );
  }
  status(rows.length + " item(s)" + (state.token ? " (more available)" : ""));
}

/**
 * An object's details: headers, metadata, a preview, a presigned link, delete.
 * @param {string} key
 */
async function details(key) {
  const res = await s3("HEAD", "/" + state.bucket + "/" + key);
  const meta = [...res.headers].filter(([k]) => k.startsWith("x-amz-meta-")).map(([k, v]) =>
    k.slice(11) + ": " + v
  );
  const box = $("details");
  box.classList.remove("hidden");
  box.replaceChildren();
  box.append(
    el("h2", {}, key),
    el(
      "p",
      {},
      "Size: " + size(Number(res.headers.get("content-length"))) + " · ETag: " +
        res.headers.get("etag") + " · Type: " +
        res.headers.get("content-type") + " · Modified: " + res.headers.get("last-modified"),
    ),
    el("p", {}, meta.length ? "Metadata: " + meta.join(", ") : "No user metadata"),
    await objectEditors(state.bucket, key, res.headers, () => details(key)),
  );
  const expiry = /** @type {HTMLSelectElement} */ (el(
    "select",
    { "aria-label": "Link expiry" },
    ...[["3600", "1 hour"], ["86400", "1 day"], ["604800", "7 days"]].map(([v, l]) =>
      el("option", { value: v }, l)
    ),
  ));
  const out = /** @type {HTMLInputElement} */ (
    el("input", { readonly: "", "aria-label": "Presigned link", size: "60" })
  );
  box.append(el(
    "div",
    { class: "row" },
    expiry,
    el("button", {
      onclick: () =>
        guard(async () => {
          out.value = await presign(state.bucket, key, Number(expiry.value));
          out.select();
          try {
            await navigator.clipboard.writeText(out.value);
            status("Link copied");
          } catch {
            status("Link ready");
          }
        }),
    }, "Share link"),
    out,
    el("button", {
      onclick: () => guard(() => showVersions(state.bucket, state.prefix, key)),
    }, "Show versions"),
    el("button", {
      class: "danger",
      onclick: () =>
        guard(async () => {
          if (!confirm("Delete " + key + "?")) return;
          await s3("DELETE", "/" + state.bucket + "/" + key);
          box.classList.add("hidden");
          await openBucket(state.bucket, state.prefix);
        }),
    }, "Delete"),
  ));
  const type = res.headers.get("content-type") || "";
  const length = Number(res.headers.get("content-length"));
  if (type.startsWith("image/")) {
    box.append(
      el("img", { class: "preview", alt: key, src: await presign(state.bucket, key, 300) }),
    );
  } else if (
    (type.startsWith("text/") || type.includes("json") || /\.(txt|md|json|csv|log)$/.test(key)) &&
    length < 1048576
  ) {
    let body = await (await s3("GET", "/" + state.bucket + "/" + key)).text();
    if (type.includes("json")) {
      try {
        body = JSON.stringify(JSON.parse(body), null, 2);
      } catch { /* as is */ }
    }
    box.append(el("pre", { "aria-label": "Preview" }, body));
  }
}

/**
 * Downloads an object through a short presigned link.
 * @param {string} key
 */
async function download(key) {
  const a = el("a", {
    href: await presign(state.bucket, key, 300, { "response-content-disposition": "attachment" }),
    download: "",
  });
  document.body.append(a);
  a.click();
  a.remove();
}

globalThis.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(
      "geckos3-console",
      JSON.stringify({ key: $("access-key").value, secret: $("secret-key").value }),
    );
    start();
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem("geckos3-console");
    location.reload();
  });
  $("create-bucket").addEventListener("submit", (e) => {
    e.preventDefault();
    guard(async () => {
      await s3("PUT", "/" + $("new-bucket").value);
      status("Created " + $("new-bucket").value);
      $("new-bucket").value = "";
      await showBuckets();
    });
  });
  $("new-folder").addEventListener("click", () =>
    guard(async () => {
      const name = prompt("Folder name");
      if (!name) return;
      await s3("PUT", "/" + state.bucket + "/" + state.prefix + name.replace(/\/*$/, "/"), {}, "");
      await openBucket(state.bucket, state.prefix);
    }));
  $("delete-selected").addEventListener("click", () =>
    guard(async () => {
      const keys = [...document.querySelectorAll("#object-rows input:checked")].map((i) =>
        /** @type {HTMLElement} */ (i).dataset.key ?? ""
      );
      if (!keys.length || !confirm("Delete " + keys.length + " object(s)?")) return;
      const xml = "<Delete>" + keys.map((k) =>
        "<Object><Key>" + k.replace(/&/g, "&amp;").replace(/</g, "&lt;") + "</Key></Object>"
      ).join("") + "</Delete>";
      const bytes = enc.encode(xml);
      await s3("POST", "/" + state.bucket, { delete: "" }, bytes, {
        "content-type": "application/xml",
      });
      await openBucket(state.bucket, state.prefix);
    }));
  $("more").addEventListener("click", () => guard(loadPage));
  $("show-settings").addEventListener("click", () => guard(() => showSettings(state.bucket)));
  $("show-access").addEventListener(
    "click",
    () => guard(() => showAccess(state.bucket, state.prefix)),
  );
  $("show-versions").addEventListener(
    "click",
    () => guard(() => showVersions(state.bucket, state.prefix)),
  );
  $("search").addEventListener("input", () =>
    guard(async () => {
      state.rows = [];
      state.token = null;
      await loadPage();
    }));
  for (const b of document.querySelectorAll("th button[data-sort]")) {
    const sort = /** @type {HTMLElement} */ (b).dataset.sort ?? "name";
    b.addEventListener("click", () => {
      state.desc = state.sort === sort ? !state.desc : false;
      state.sort = sort;
      renderRows();
    });
  }
  $("files").addEventListener("change", () => uploadFiles([...$("files").files ?? []]));
  $("folder").addEventListener("change", () => uploadFiles([...$("folder").files ?? []]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    uploadFiles([...e.dataTransfer?.files ?? []]);
  });
  for (const b of document.querySelectorAll("#tabs button")) {
    const view = /** @type {HTMLElement} */ (b).dataset.view ?? "buckets";
    b.addEventListener("click", () =>
      guard(async () => {
        showView(view);
        if (view === "dashboard") await showDashboard();
        else if (view === "activity") await showActivity();
        else if (view === "users") await showUsers();
        else await showBuckets();
      }));
  }
  applyTheme(localStorage.getItem("geckos3-theme") ?? "auto");
  $("theme").addEventListener("click", () => {
    const next = { auto: "light", light: "dark", dark: "auto" }[
      document.documentElement.dataset.theme ?? "auto"
    ] ?? "auto";
    localStorage.setItem("geckos3-theme", next);
    applyTheme(next);
  });
  if (creds()) start();
});

/**
 * Light, dark, or the system's choice.
 * @param {string} theme
 */
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  $("theme").textContent = "Theme: " + theme;
}

function start() {
  $("login").classList.add("hidden");
  $("app").classList.remove("hidden");
  $("tabs").classList.remove("hidden");
  $("who").textContent = creds().key;
  guard(showBuckets);
}

/**
 * The web console: one self-contained page (no CDN, works offline) served at
 * `/_console/`. It uses only the public S3 API, signing its requests with
 * SigV4 in the browser (Web Crypto); the secret stays in sessionStorage and
 * is never sent to the server.
 */

const STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #6a737d; --line: #d0d7de; --accent: #1f6feb; --danger: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #8b949e; --line: #30363d; --accent: #4493f8; --danger: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1rem; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header h1 { font-size: 1.1rem; margin: 0; }
main { padding: 1rem; max-width: 72rem; margin: auto; }
button, input, select { font: inherit; padding: .35rem .6rem; border: 1px solid var(--line); border-radius: 6px; background: transparent; color: inherit; }
button { cursor: pointer; } button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { color: var(--danger); } button:focus-visible, input:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
table { width: 100%; border-collapse: collapse; } th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
th button { border: 0; padding: 0; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } .muted { color: var(--muted); }
.row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; margin: .5rem 0; }
nav.crumbs a { color: var(--accent); cursor: pointer; } #drop { border: 2px dashed var(--line); border-radius: 8px; padding: 1rem; text-align: center; }
#drop.over { border-color: var(--accent); } progress { width: 10rem; } pre { white-space: pre-wrap; overflow: auto; max-height: 20rem; }
#status { min-height: 1.5em; } .hidden { display: none; } img.preview { max-width: 100%; max-height: 20rem; }
@media (max-width: 40rem) { td.hide-narrow, th.hide-narrow { display: none; } }
`;

const SCRIPT = `
"use strict";
const enc = new TextEncoder();
const $ = (id) => document.getElementById(id);
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (data) => hex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data));
async function hmac(key, data) {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}
const uriEncode = (s, keepSlash) => [...enc.encode(s)].map((b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9\\-._~]/.test(c) || (keepSlash && c === "/") ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
}).join("");
const creds = () => JSON.parse(sessionStorage.getItem("geckos3-console") || "null");
/** The server's region (-region), which every signature's scope names. */
const REGION = document.documentElement.dataset.region || "us-east-1";

/** SigV4 pieces shared by header signing and presigning. */
async function signingKey(secret, day) {
  let k = await hmac("AWS4" + secret, day);
  for (const part of [REGION, "s3", "aws4_request"]) k = await hmac(k, part);
  return k;
}
function canonicalQuery(params) {
  return Object.keys(params).sort().map((k) => uriEncode(k, false) + "=" + uriEncode(params[k], false)).join("&");
}

/** Signs and sends an S3 request (payload UNSIGNED-PAYLOAD, so bodies stream as they are). */
async function s3(method, path, params = {}, body = null, extraHeaders = {}) {
  const headers = await signedHeaders(method, path, params, extraHeaders);
  const query = canonicalQuery(params);
  const res = await fetch(uriEncode(path, true) + (query ? "?" + query : ""), { method, headers, body });
  if (!res.ok && res.status !== 304) {
    const text = await res.text();
    const code = /<Code>([^<]*)/.exec(text)?.[1] || res.status;
    const msg = /<Message>([^<]*)/.exec(text)?.[1] || "";
    throw new Error(code + (msg ? ": " + msg : ""));
  }
  return res;
}

/** The request time in SigV4's two forms: \`amzDate\` (YYYYMMDDTHHMMSSZ) and the credential scope. */
function signingTime() {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\\.\\d{3}/, "");
  return { amzDate, scope: amzDate.slice(0, 8) + "/" + REGION + "/s3/aws4_request" };
}

/** The hex SigV4 signature of a canonical request, with the logged-in secret. */
async function signCanonical(canonical, amzDate, scope) {
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256(canonical)].join("\\n");
  return hex(await hmac(await signingKey(creds().secret, amzDate.slice(0, 8)), toSign));
}

/** A presigned GET URL valid for \`seconds\`. */
async function presign(bucket, key, seconds, extra = {}) {
  const c = creds();
  const { amzDate, scope } = signingTime();
  const params = { "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": c.key + "/" + scope, "X-Amz-Date": amzDate,
    "X-Amz-Expires": String(seconds), "X-Amz-SignedHeaders": "host", ...extra };
  const uri = uriEncode("/" + bucket + "/" + key, true);
  const canonical = ["GET", uri, canonicalQuery(params), "host:" + location.host + "\\n", "host", "UNSIGNED-PAYLOAD"].join("\\n");
  const signature = await signCanonical(canonical, amzDate, scope);
  return location.origin + uri + "?" + canonicalQuery(params) + "&X-Amz-Signature=" + signature;
}

const xmlOf = async (res) => new DOMParser().parseFromString(await res.text(), "application/xml");
const all = (doc, tag) => [...doc.getElementsByTagName(tag)];
const text = (node, tag) => node.getElementsByTagName(tag)[0]?.textContent ?? "";
const size = (n) => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : n < 1073741824 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1073741824).toFixed(2) + " GiB";
function status(msg, isError) { $("status").textContent = msg; $("status").style.color = isError ? "var(--danger)" : ""; }
async function guard(fn) { try { await fn(); } catch (e) { status(String(e.message || e), true); } }
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k.startsWith("on") ? e.addEventListener(k.slice(2), v) : e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const state = { bucket: null, prefix: "", token: null, rows: [], sort: "name", desc: false };

async function showBuckets() {
  state.bucket = null;
  $("buckets").classList.remove("hidden"); $("objects").classList.add("hidden");
  const doc = await xmlOf(await s3("GET", "/"));
  const body = $("bucket-rows"); body.replaceChildren();
  for (const b of all(doc, "Bucket")) {
    const name = text(b, "Name");
    body.append(el("tr", {},
      el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); guard(() => openBucket(name, "")); } }, name)),
      el("td", { class: "hide-narrow muted" }, text(b, "CreationDate").slice(0, 19).replace("T", " ")),
      el("td", {}, el("button", { class: "danger", "aria-label": "Delete bucket " + name, onclick: () => guard(async () => {
        if (!confirm("Delete bucket " + name + "? It must be empty.")) return;
        await s3("DELETE", "/" + name); status("Deleted bucket " + name); await showBuckets();
      }) }, "Delete"))));
  }
  status(body.children.length + " bucket(s)");
}

async function openBucket(bucket, prefix) {
  Object.assign(state, { bucket, prefix, token: null, rows: [] });
  $("buckets").classList.add("hidden"); $("objects").classList.remove("hidden");
  $("search").value = "";
  $("details").classList.add("hidden");
  renderCrumbs();
  await loadPage();
}

function renderCrumbs() {
  const nav = $("crumbs"); nav.replaceChildren();
  nav.append(el("a", { href: "#", onclick: (e) => { e.preventDefault(); guard(showBuckets); } }, "Buckets"), " / ",
    el("a", { href: "#", onclick: (e) => { e.preventDefault(); guard(() => openBucket(state.bucket, "")); } }, state.bucket), " / ");
  let acc = "";
  for (const part of state.prefix.split("/").filter(Boolean)) {
    acc += part + "/";
    const p = acc;
    nav.append(el("a", { href: "#", onclick: (e) => { e.preventDefault(); guard(() => openBucket(state.bucket, p)); } }, part), " / ");
  }
}

async function loadPage() {
  const prefix = state.prefix + $("search").value;
  const params = { "list-type": "2", delimiter: "/", prefix, "max-keys": "200" };
  if (state.token) params["continuation-token"] = state.token;
  const doc = await xmlOf(await s3("GET", "/" + state.bucket, params));
  for (const p of all(doc, "CommonPrefixes")) state.rows.push({ folder: true, key: text(p, "Prefix"), size: 0, date: "" });
  for (const c of all(doc, "Contents")) {
    const key = text(c, "Key");
    if (key === state.prefix) continue;
    state.rows.push({ folder: false, key, size: Number(text(c, "Size")), date: text(c, "LastModified"), etag: text(c, "ETag") });
  }
  state.token = text(doc, "IsTruncated") === "true" ? text(doc, "NextContinuationToken") : null;
  $("more").classList.toggle("hidden", !state.token);
  renderRows();
}

function renderRows() {
  const rows = [...state.rows].sort((a, b) => {
    if (a.folder !== b.folder) return a.folder ? -1 : 1;
    const v = state.sort === "size" ? a.size - b.size : state.sort === "date" ? a.date.localeCompare(b.date) : a.key.localeCompare(b.key);
    return state.desc ? -v : v;
  });
  const body = $("object-rows"); body.replaceChildren();
  for (const r of rows) {
    const name = r.key.slice(state.prefix.length);
    const check = el("input", { type: "checkbox", "aria-label": "Select " + name, "data-key": r.key });
    const link = r.folder
      ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); guard(() => openBucket(state.bucket, r.key)); } }, "📁 " + name)
      : el("a", { href: "#", onclick: (e) => { e.preventDefault(); guard(() => details(r.key)); } }, name);
    body.append(el("tr", {}, el("td", {}, r.folder ? "" : check), el("td", {}, link),
      el("td", { class: "num" }, r.folder ? "" : size(r.size)),
      el("td", { class: "hide-narrow muted" }, r.date.slice(0, 19).replace("T", " ")),
      el("td", {}, r.folder ? "" : el("button", { onclick: () => guard(() => download(r.key)) }, "Download"))));
  }
  status(rows.length + " item(s)" + (state.token ? " (more available)" : ""));
}

async function details(key) {
  const res = await s3("HEAD", "/" + state.bucket + "/" + key);
  const meta = [...res.headers].filter(([k]) => k.startsWith("x-amz-meta-")).map(([k, v]) => k.slice(11) + ": " + v);
  const box = $("details"); box.classList.remove("hidden"); box.replaceChildren();
  box.append(el("h2", {}, key),
    el("p", {}, "Size: " + size(Number(res.headers.get("content-length"))) + " · ETag: " + res.headers.get("etag") + " · Type: " +
      res.headers.get("content-type") + " · Modified: " + res.headers.get("last-modified")),
    el("p", {}, meta.length ? "Metadata: " + meta.join(", ") : "No user metadata"));
  const expiry = el("select", { "aria-label": "Link expiry" }, ...[["3600", "1 hour"], ["86400", "1 day"], ["604800", "7 days"]].map(([v, l]) => el("option", { value: v }, l)));
  const out = el("input", { readonly: "", "aria-label": "Presigned link", size: "60" });
  box.append(el("div", { class: "row" }, expiry, el("button", { onclick: () => guard(async () => {
    out.value = await presign(state.bucket, key, Number(expiry.value));
    out.select(); try { await navigator.clipboard.writeText(out.value); status("Link copied"); } catch { status("Link ready"); }
  }) }, "Share link"), out,
    el("button", { class: "danger", onclick: () => guard(async () => {
      if (!confirm("Delete " + key + "?")) return;
      await s3("DELETE", "/" + state.bucket + "/" + key); box.classList.add("hidden"); await openBucket(state.bucket, state.prefix);
    }) }, "Delete")));
  const type = res.headers.get("content-type") || "";
  const length = Number(res.headers.get("content-length"));
  if (type.startsWith("image/")) box.append(el("img", { class: "preview", alt: key, src: await presign(state.bucket, key, 300) }));
  else if ((type.startsWith("text/") || type.includes("json") || /\\.(txt|md|json|csv|log)$/.test(key)) && length < 1048576) {
    let body = await (await s3("GET", "/" + state.bucket + "/" + key)).text();
    if (type.includes("json")) try { body = JSON.stringify(JSON.parse(body), null, 2); } catch { /* as is */ }
    box.append(el("pre", { "aria-label": "Preview" }, body));
  }
}

async function download(key) {
  const a = el("a", { href: await presign(state.bucket, key, 300, { "response-content-disposition": "attachment" }), download: "" });
  document.body.append(a); a.click(); a.remove();
}

/** Signed request headers (SigV4, UNSIGNED-PAYLOAD) for method, path and query. */
async function signedHeaders(method, path, params = {}, extra = {}) {
  const c = creds();
  const { amzDate, scope } = signingTime();
  const headers = { host: location.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amzDate };
  for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
  const names = Object.keys(headers).sort();
  const canonical = [method, uriEncode(path, true), canonicalQuery(params), names.map((n) => n + ":" + String(headers[n]).trim() + "\\n").join(""),
    names.join(";"), "UNSIGNED-PAYLOAD"].join("\\n");
  const signature = await signCanonical(canonical, amzDate, scope);
  delete headers.host;
  headers.authorization = "AWS4-HMAC-SHA256 Credential=" + c.key + "/" + scope + ", SignedHeaders=" + names.join(";") + ", Signature=" + signature;
  return headers;
}

/** A signed PUT with upload progress (fetch has none); resolves with the ETag. */
async function putWithProgress(path, params, extra, body, onProgress, job) {
  const headers = await signedHeaders("PUT", path, params, extra);
  const query = canonicalQuery(params);
  return await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    job.xhr = xhr;
    xhr.open("PUT", uriEncode(path, true) + (query ? "?" + query : ""));
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => xhr.status < 300 ? resolve(xhr.getResponseHeader("ETag")) : reject(new Error("Upload failed: " + xhr.status));
    xhr.onerror = () => reject(new Error("Upload failed"));
    xhr.onabort = () => reject(new Error("Upload cancelled"));
    xhr.send(body);
  });
}

const PART_SIZE = 16 * 1024 * 1024;

/**
 * Uploads one file: a single PUT up to 64 MiB, multipart above. A multipart
 * upload's id is remembered (localStorage) per bucket, key, size and date,
 * so retrying the same file resumes it, skipping the parts already stored.
 */
async function upload(file, key) {
  const bar = el("progress", { max: "1", value: "0", "aria-label": "Upload of " + key });
  const cancel = el("button", { type: "button" }, "Cancel");
  const row = el("div", { class: "row" }, el("span", {}, key), bar, cancel);
  $("uploads").append(row);
  const job = { xhr: null, cancelled: false };
  cancel.onclick = () => { job.cancelled = true; job.xhr?.abort(); };
  const type = file.type || "application/octet-stream";
  const path = "/" + state.bucket + "/" + key;
  try {
    if (file.size <= 4 * PART_SIZE) {
      await putWithProgress(path, {}, { "content-type": type }, file, (n) => (bar.value = file.size ? n / file.size : 1), job);
    } else {
      const memo = "geckos3-upload:" + [state.bucket, key, file.size, file.lastModified].join(":");
      let uploadId = localStorage.getItem(memo);
      const done = new Map();
      if (uploadId) {
        try {
          const parts = await xmlOf(await s3("GET", path, { uploadId }));
          for (const p of all(parts, "Part")) done.set(Number(text(p, "PartNumber")), { etag: text(p, "ETag"), size: Number(text(p, "Size")) });
        } catch { uploadId = null; done.clear(); }
      }
      if (!uploadId) {
        const created = await xmlOf(await s3("POST", path, { uploads: "" }, null, { "content-type": type }));
        uploadId = text(created, "UploadId");
        localStorage.setItem(memo, uploadId);
      }
      const count = Math.ceil(file.size / PART_SIZE);
      let sent = 0;
      for (let n = 1; n <= count; n++) {
        if (job.cancelled) throw new Error("Upload cancelled");
        const blob = file.slice((n - 1) * PART_SIZE, Math.min(file.size, n * PART_SIZE));
        if (done.get(n)?.size === blob.size) { sent += blob.size; bar.value = sent / file.size; continue; }
        const etag = await putWithProgress(path, { partNumber: String(n), uploadId }, {}, blob, (x) => (bar.value = (sent + x) / file.size), job);
        done.set(n, { etag, size: blob.size });
        sent += blob.size;
      }
      const xml = "<CompleteMultipartUpload>" + [...done.entries()].sort((a, b) => a[0] - b[0]).filter(([n]) => n <= count)
        .map(([n, p]) => "<Part><PartNumber>" + n + "</PartNumber><ETag>" + p.etag + "</ETag></Part>").join("") + "</CompleteMultipartUpload>";
      await s3("POST", path, { uploadId }, xml, { "content-type": "application/xml" });
      localStorage.removeItem(memo);
    }
    bar.value = 1;
  } finally {
    cancel.remove();
  }
}

async function uploadFiles(files) {
  for (const f of files) await guard(() => upload(f, state.prefix + (f.webkitRelativePath || f.name)));
  await openBucket(state.bucket, state.prefix);
}

window.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("geckos3-console", JSON.stringify({ key: $("access-key").value, secret: $("secret-key").value }));
    start();
  });
  $("logout").addEventListener("click", () => { sessionStorage.removeItem("geckos3-console"); location.reload(); });
  $("create-bucket").addEventListener("submit", (e) => { e.preventDefault(); guard(async () => {
    await s3("PUT", "/" + $("new-bucket").value); status("Created " + $("new-bucket").value); $("new-bucket").value = ""; await showBuckets();
  }); });
  $("new-folder").addEventListener("click", () => guard(async () => {
    const name = prompt("Folder name"); if (!name) return;
    await s3("PUT", "/" + state.bucket + "/" + state.prefix + name.replace(/\\/*$/, "/"), {}, ""); await openBucket(state.bucket, state.prefix);
  }));
  $("delete-selected").addEventListener("click", () => guard(async () => {
    const keys = [...document.querySelectorAll("#object-rows input:checked")].map((i) => i.dataset.key);
    if (!keys.length || !confirm("Delete " + keys.length + " object(s)?")) return;
    const xml = "<Delete>" + keys.map((k) => "<Object><Key>" + k.replace(/&/g, "&amp;").replace(/</g, "&lt;") + "</Key></Object>").join("") + "</Delete>";
    const bytes = enc.encode(xml);
    await s3("POST", "/" + state.bucket, { delete: "" }, bytes, { "content-type": "application/xml" });
    await openBucket(state.bucket, state.prefix);
  }));
  $("more").addEventListener("click", () => guard(loadPage));
  $("search").addEventListener("input", () => guard(async () => { state.rows = []; state.token = null; await loadPage(); }));
  for (const b of document.querySelectorAll("th button[data-sort]")) {
    b.addEventListener("click", () => { state.desc = state.sort === b.dataset.sort ? !state.desc : false; state.sort = b.dataset.sort; renderRows(); });
  }
  $("files").addEventListener("change", (e) => uploadFiles([...e.target.files]));
  $("folder").addEventListener("change", (e) => uploadFiles([...e.target.files]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); uploadFiles([...e.dataTransfer.files]); });
  if (creds()) start();
});

function start() {
  $("login").classList.add("hidden"); $("app").classList.remove("hidden");
  $("who").textContent = creds().key;
  guard(showBuckets);
}
`;

/** The console's HTML document for a server in `region`. */
export function consoleHtml(region: string): string {
  return CONSOLE_HTML.replace("__REGION__", region);
}

const CONSOLE_HTML = `<!doctype html>
<html lang="en" data-region="__REGION__">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>geckos3 console</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>geckos3</h1><span class="muted" id="who"></span><span style="flex:1"></span><button id="logout" type="button">Log out</button></header>
<main>
<form id="login" aria-label="Log in">
  <p>Sign in with an access key. Requests are signed in this browser; the secret is never sent.</p>
  <div class="row"><label>Access key <input id="access-key" autocomplete="username" required></label>
  <label>Secret key <input id="secret-key" type="password" autocomplete="current-password" required></label>
  <button class="primary" type="submit">Log in</button></div>
</form>
<div id="app" class="hidden">
  <p id="status" role="status" aria-live="polite"></p>
  <section id="buckets" aria-label="Buckets">
    <form id="create-bucket" class="row"><label>New bucket <input id="new-bucket" required pattern="[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]"></label><button type="submit">Create bucket</button></form>
    <table><thead><tr><th>Bucket</th><th class="hide-narrow">Created</th><th></th></tr></thead><tbody id="bucket-rows"></tbody></table>
  </section>
  <section id="objects" class="hidden" aria-label="Objects">
    <nav id="crumbs" class="crumbs" aria-label="Breadcrumbs"></nav>
    <div class="row">
      <label>Search by prefix <input id="search" type="search"></label>
      <button id="new-folder" type="button">New folder</button>
      <button id="delete-selected" type="button" class="danger">Delete selected</button>
      <label>Upload files <input id="files" type="file" multiple></label>
      <label>Upload a folder <input id="folder" type="file" webkitdirectory multiple></label>
    </div>
    <div id="drop" aria-label="Drop files here to upload">Drop files here to upload</div>
    <div id="uploads"></div>
    <table><thead><tr><th><span class="hidden">Select</span></th><th><button data-sort="name" type="button">Name</button></th>
      <th class="num"><button data-sort="size" type="button">Size</button></th><th class="hide-narrow"><button data-sort="date" type="button">Modified</button></th><th></th></tr></thead>
      <tbody id="object-rows"></tbody></table>
    <button id="more" type="button" class="hidden">Load more</button>
    <section id="details" class="hidden" aria-label="Object details"></section>
  </section>
</div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

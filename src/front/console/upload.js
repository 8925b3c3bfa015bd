// @ts-check
/// <reference lib="dom" />
/** Uploads with progress: single PUTs, and multipart for large files. */
import { openBucket, state } from "./app.js";
import { canonicalQuery, s3, signedHeaders, uriEncode } from "./sign.js";
import { $, all, el, guard, text, xmlOf } from "./ui.js";

/** @typedef {{ xhr: XMLHttpRequest | null, cancelled: boolean }} UploadJob */

/**
 * A signed PUT with upload progress (fetch has none); resolves with the ETag.
 * @param {string} path
 * @param {Record<string, string>} params
 * @param {Record<string, string>} extra
 * @param {Blob} body
 * @param {(sent: number) => void} onProgress
 * @param {UploadJob} job
 * @returns {Promise<string>}
 */
async function putWithProgress(path, params, extra, body, onProgress, job) {
  const headers = await signedHeaders("PUT", path, params, extra);
  const query = canonicalQuery(params);
  return await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    job.xhr = xhr;
    xhr.open("PUT", uriEncode(path, true) + (query ? "?" + query : ""));
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      xhr.status < 300
        ? resolve(xhr.getResponseHeader("ETag") ?? "")
        : reject(new Error("Upload failed: " + xhr.status));
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
/**
 * @param {File} file
 * @param {string} key
 */
async function upload(file, key) {
  const bar = /** @type {HTMLProgressElement} */ (el("progress", {
    max: "1",
    value: "0",
    "aria-label": "Upload of " + key,
  }));
  const cancel = el("button", { type: "button" }, "Cancel");
  const row = el("div", { class: "row" }, el("span", {}, key), bar, cancel);
  $("uploads").append(row);
  /** @type {UploadJob} */
  const job = { xhr: null, cancelled: false };
  cancel.onclick = () => {
    job.cancelled = true;
    job.xhr?.abort();
  };
  const type = file.type || "application/octet-stream";
  const path = "/" + state.bucket + "/" + key;
  try {
    if (file.size <= 4 * PART_SIZE) {
      await putWithProgress(
        path,
        {},
        { "content-type": type },
        file,
        (n) => (bar.value = file.size ? n / file.size : 1),
        job,
      );
    } else {
      const memo = "geckos3-upload:" + [state.bucket, key, file.size, file.lastModified].join(":");
      let uploadId = localStorage.getItem(memo);
      /** @type {Map<number, { etag: string, size: number }>} */
      const done = new Map();
      if (uploadId) {
        try {
          const parts = await xmlOf(await s3("GET", path, { uploadId }));
          for (const p of all(parts, "Part")) {
            done.set(Number(text(p, "PartNumber")), {
              etag: text(p, "ETag"),
              size: Number(text(p, "Size")),
            });
          }
        } catch {
          uploadId = null;
          done.clear();
        }
      }
      if (!uploadId) {
        const created = await xmlOf(
          await s3("POST", path, { uploads: "" }, null, { "content-type": type }),
        );
        uploadId = text(created, "UploadId");
        localStorage.setItem(memo, uploadId);
      }
      const count = Math.ceil(file.size / PART_SIZE);
      let sent = 0;
      for (let n = 1; n <= count; n++) {
        if (job.cancelled) throw new Error("Upload cancelled");
        const blob = file.slice((n - 1) * PART_SIZE, Math.min(file.size, n * PART_SIZE));
        if (done.get(n)?.size === blob.size) {
          sent += blob.size;
          bar.value = sent / file.size;
          continue;
        }
        const etag = await putWithProgress(
          path,
          { partNumber: String(n), uploadId },
          {},
          blob,
          (x) => (bar.value = (sent + x) / file.size),
          job,
        );
        done.set(n, { etag, size: blob.size });
        sent += blob.size;
      }
      const xml = "<CompleteMultipartUpload>" + [...done.entries()].sort((a, b) =>
        a[0] - b[0]
      ).filter(([n]) => n <= count)
        .map(([n, p]) =>
          "<Part><PartNumber>" + n + "</PartNumber><ETag>" + p.etag + "</ETag></Part>"
        ).join("") +
        "</CompleteMultipartUpload>";
      await s3("POST", path, { uploadId }, xml, { "content-type": "application/xml" });
      localStorage.removeItem(memo);
    }
    bar.value = 1;
  } finally {
    cancel.remove();
  }
}

/**
 * Uploads files into the open bucket and prefix (a folder's keep their relative paths).
 * @param {File[]} files
 */
export async function uploadFiles(files) {
  for (const f of files) {
    await guard(() => upload(f, state.prefix + (f.webkitRelativePath || f.name)));
  }
  await openBucket(state.bucket, state.prefix);
}

// @ts-check
/// <reference lib="dom" />
/** Small DOM and XML helpers shared by the console's modules. */
/**
 * The element with `id` (every id the console uses is in index.html).
 * @param {string} id
 * @returns {HTMLInputElement}
 */
export const $ = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/**
 * A response body parsed as XML.
 * @param {Response} res
 */
export const xmlOf = async (res) =>
  new DOMParser().parseFromString(await res.text(), "application/xml");
/**
 * Every element named `tag` below `doc`.
 * @param {Document | Element} doc
 * @param {string} tag
 */
export const all = (doc, tag) => [...doc.getElementsByTagName(tag)];
/**
 * The text of the first element named `tag` below `node`.
 * @param {Document | Element} node
 * @param {string} tag
 */
export const text = (node, tag) => node.getElementsByTagName(tag)[0]?.textContent ?? "";
/**
 * A byte count for people.
 * @param {number} n
 */
export const size = (n) =>
  n < 1024
    ? n + " B"
    : n < 1048576
    ? (n / 1024).toFixed(1) + " KiB"
    : n < 1073741824
    ? (n / 1048576).toFixed(1) + " MiB"
    : (n / 1073741824).toFixed(2) + " GiB";
/**
 * Shows a status line (an error in red).
 * @param {string} msg
 * @param {boolean} [isError]
 */
export function status(msg, isError) {
  $("status").textContent = msg;
  $("status").style.color = isError ? "var(--danger)" : "";
}
/**
 * Runs `fn`, showing its error instead of throwing it.
 * @param {() => unknown} fn
 */
export async function guard(fn) {
  try {
    await fn();
  } catch (e) {
    status(String(/** @type {Error} */ (e).message || e), true);
  }
}
/**
 * An element with attributes (`on*` ones are listeners) and children.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node | string)} children
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    k.startsWith("on") ? e.addEventListener(k.slice(2), v) : e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

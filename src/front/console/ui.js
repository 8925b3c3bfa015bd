/** Small DOM and XML helpers shared by the console's modules. */
export const $ = (id) => document.getElementById(id);

export const xmlOf = async (res) =>
  new DOMParser().parseFromString(await res.text(), "application/xml");
export const all = (doc, tag) => [...doc.getElementsByTagName(tag)];
export const text = (node, tag) => node.getElementsByTagName(tag)[0]?.textContent ?? "";
export const size = (n) =>
  n < 1024
    ? n + " B"
    : n < 1048576
    ? (n / 1024).toFixed(1) + " KiB"
    : n < 1073741824
    ? (n / 1048576).toFixed(1) + " MiB"
    : (n / 1073741824).toFixed(2) + " GiB";
export function status(msg, isError) {
  $("status").textContent = msg;
  $("status").style.color = isError ? "var(--danger)" : "";
}
export async function guard(fn) {
  try {
    await fn();
  } catch (e) {
    status(String(e.message || e), true);
  }
}
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    k.startsWith("on") ? e.addEventListener(k.slice(2), v) : e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

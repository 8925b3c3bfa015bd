// @ts-check
/// <reference lib="dom" />
/**
 * The activity page: the server's most recent requests (operation, target,
 * status, duration, user), filtered by text or to errors, errors marked.
 * Request URIs come redacted from the server: no signatures or credentials.
 */
import { admin } from "./sign.js";
import { $, el, guard } from "./ui.js";

/** Shows the recent requests with the page's current filter. */
export async function showActivity() {
  const box = $("activity");
  if (!box.dataset.ready) {
    box.dataset.ready = "1";
    const filter = el("input", {
      type: "search",
      id: "activity-filter",
      "aria-label": "Filter requests",
    });
    const errors = el("input", { type: "checkbox", id: "activity-errors" });
    filter.addEventListener("input", () => guard(showActivity));
    errors.addEventListener("change", () => guard(showActivity));
    box.append(
      el("h2", {}, "Recent requests"),
      el(
        "div",
        { class: "row" },
        el("label", {}, "Filter ", filter),
        el("label", {}, errors, " Errors only"),
        el("button", { type: "button", onclick: () => guard(showActivity) }, "Refresh"),
      ),
      el("table", { "aria-label": "Recent requests" }, el("tbody", { id: "activity-rows" })),
    );
  }
  /** @type {Record<string, string>} */
  const params = { limit: "200" };
  const q = $("activity-filter").value;
  if (q) params.q = q;
  if ($("activity-errors").checked) params.errors = "1";
  const { entries } = await admin("GET", "activity", params);
  const rows = $("activity-rows");
  rows.replaceChildren(
    el(
      "tr",
      {},
      ...["Time", "User", "Operation", "Status", "ms", "Request"].map((h) => el("th", {}, h)),
    ),
    ...entries.map((/** @type {any} */ e) =>
      el(
        "tr",
        { class: e.status >= 400 ? "error" : "" },
        el("td", { class: "muted" }, e.time.slice(11, 19)),
        el("td", {}, e.user ?? "-"),
        el("td", {}, e.operation),
        el("td", {}, String(e.status) + (e.errorCode ? " " + e.errorCode : "")),
        el("td", { class: "num" }, String(e.durationMs)),
        el("td", { class: "mono" }, e.method + " " + e.uri),
      )
    ),
  );
}

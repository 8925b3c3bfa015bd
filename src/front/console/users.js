// @ts-check
/// <reference lib="dom" />
/**
 * Users and keys. The administrator lists every user, creates one with a
 * generated key pair (the secret shown once), rotates, disables, enables
 * and deletes keys and edits a user's policy; the server writes the users
 * file. Anyone else sees only their own key.
 */
import { admin } from "./sign.js";
import { $, el, guard, status } from "./ui.js";

/** Shows the users page. */
export async function showUsers() {
  const box = $("users");
  const me = await admin("GET", "whoami");
  const { users } = await admin("GET", "users");
  box.replaceChildren(el("h2", {}, me.root ? "Users and keys" : "Your key"));
  if (me.root && !me.usersFile) {
    box.append(el(
      "p",
      { class: "muted" },
      "Managing users needs a users file: start geckos3 with -credentials-file FILE.",
    ));
  }
  const rows = el("tbody", {});
  for (const u of users) rows.append(userRow(u, me.root && !u.root && me.usersFile));
  box.append(el(
    "table",
    { "aria-label": "Users" },
    el(
      "thead",
      {},
      el("tr", {}, ...["Name", "Access key", "State", "Policy", ""].map((h) => el("th", {}, h))),
    ),
    rows,
  ));
  if (me.root && me.usersFile) box.append(createForm());
}

/**
 * One user's row, with the administrator's actions when `editable`.
 * @param {any} u
 * @param {boolean} editable
 */
function userRow(u, editable) {
  const actions = el("td", {});
  if (editable) {
    const act = (
      /** @type {string} */ label,
      /** @type {() => Promise<any>} */ fn,
      cls = "",
    ) =>
      el("button", {
        type: "button",
        class: cls,
        "aria-label": label + " " + u.name,
        onclick: () =>
          guard(async () => {
            const keys = await fn();
            await showUsers();
            // A rotation's new secret, shown once, after the list that no longer has the old key.
            if (keys?.secretKey) showSecret(keys);
          }),
      }, label);
    actions.append(
      act("Rotate", () => admin("POST", "users/" + u.accessKey + "/rotate")),
      u.disabled
        ? act("Enable", () => admin("PUT", "users/" + u.accessKey, {}, { disabled: false }))
        : act("Disable", () => admin("PUT", "users/" + u.accessKey, {}, { disabled: true })),
      act("Edit policy", async () => {
        const text = prompt(
          "Policy of " + u.name + " (JSON; empty for none)",
          JSON.stringify(u.policy ?? ""),
        );
        if (text === null) return;
        await admin("PUT", "users/" + u.accessKey, {}, {
          policy: text.trim() ? JSON.parse(text) : null,
        });
        status("Policy of " + u.name + " saved");
      }),
      act("Delete", async () => {
        if (!confirm("Delete user " + u.name + "? Its key stops working.")) return;
        await admin("DELETE", "users/" + u.accessKey);
        status("Deleted user " + u.name);
      }, "danger"),
    );
  }
  return el(
    "tr",
    { "data-user": u.name },
    el("td", {}, u.name),
    el("td", { class: "mono" }, u.accessKey),
    el("td", {}, u.root ? "administrator" : u.disabled ? "disabled" : "active"),
    el("td", { class: "mono" }, u.root ? "everything" : u.policy ? summary(u.policy) : "none"),
    actions,
  );
}

/**
 * The actions a policy allows, in a few words.
 * @param {any} policy
 */
function summary(policy) {
  const statements = [policy.Statement ?? []].flat();
  const actions = statements.flatMap((/** @type {any} */ s) => [s.Action ?? []].flat());
  return actions.join(", ") || "(no actions)";
}

/** The form that creates a user. */
function createForm() {
  const name = /** @type {HTMLInputElement} */ (
    el("input", { id: "new-user", required: "", pattern: "[\\w+=,.@-]{1,64}" })
  );
  const policy = /** @type {HTMLTextAreaElement} */ (el("textarea", {
    id: "new-user-policy",
    rows: "6",
    "aria-label": "Policy of the new user",
  }));
  policy.value = JSON.stringify(
    {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::*"] }],
    },
    null,
    2,
  );
  const form = el(
    "form",
    { "aria-label": "New user" },
    el("h3", {}, "New user"),
    el("div", { class: "row" }, el("label", {}, "Name ", name)),
    policy,
    el("div", { class: "row" }, el("button", { class: "primary", type: "submit" }, "Create user")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    guard(async () => {
      const body = /** @type {{ name: string, policy?: unknown }} */ ({ name: name.value });
      if (policy.value.trim()) body.policy = JSON.parse(policy.value);
      const keys = await admin("POST", "users", {}, body);
      await showUsers();
      showSecret(keys);
      status("Created user " + keys.name);
    });
  });
  return form;
}

/**
 * Shows a new key pair once: the secret is not kept anywhere the console can read again.
 * @param {{ name: string, accessKey: string, secretKey: string }} keys
 */
function showSecret(keys) {
  $("users").prepend(el(
    "div",
    { class: "secret", role: "alert", "aria-label": "New key" },
    el("p", {}, "New key of " + keys.name + ". Copy the secret now: it is not shown again."),
    el(
      "p",
      { class: "mono" },
      "Access key: ",
      el("span", { "aria-label": "New access key" }, keys.accessKey),
    ),
    el(
      "p",
      { class: "mono" },
      "Secret key: ",
      el("span", { "aria-label": "New secret key" }, keys.secretKey),
    ),
  ));
}

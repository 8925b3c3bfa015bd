// @ts-check
/// <reference lib="dom" />
/**
 * The access view of a bucket: whether it is private, publicly readable
 * (whole or by prefix) or under a policy of its own; one click to make the
 * bucket or the open prefix publicly readable and back; the policy JSON to
 * edit, with S3's refusal shown when it is not valid.
 */
import { enc, s3 } from "./sign.js";
import { $, all, el, guard, status, text, xmlOf } from "./ui.js";

/** Sid prefix of the statements the console adds for public reads. */
const SID = "ConsolePublicRead";
const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

/**
 * Shows the access of `bucket`; the public-read switch acts on `prefix` ("" for the whole bucket).
 * @param {string} bucket
 * @param {string} prefix
 */
export async function showAccess(bucket, prefix) {
  const policy = await readPolicy(bucket);
  const aclDoc = await xmlOf(await s3("GET", "/" + bucket, { acl: "" }));
  const publicAcl = all(aclDoc, "Grant").some((g) => text(g, "URI") === ALL_USERS);
  const box = $("access");
  box.classList.remove("hidden");
  const scope = prefix ? prefix + "*" : "the whole bucket";
  const isPublic = publicPrefixes(policy).includes(prefix);
  const editor = /** @type {HTMLTextAreaElement} */ (el("textarea", {
    "aria-label": "Bucket policy",
    rows: "14",
    spellcheck: "false",
  }));
  editor.value = policy ? JSON.stringify(policy, null, 2) : "";
  const problem = el("p", { class: "problem", role: "alert", "aria-label": "Policy error" });
  box.replaceChildren(
    el("h2", {}, "Access to " + bucket),
    el("p", { "aria-label": "Access state" }, describe(policy, publicAcl)),
    el(
      "div",
      { class: "row" },
      el("button", {
        onclick: () =>
          guard(async () => {
            await writePolicy(bucket, togglePublic(bucket, policy, prefix, !isPublic));
            status((isPublic ? "Made private: " : "Made publicly readable: ") + scope);
            await showAccess(bucket, prefix);
          }),
      }, isPublic ? "Make " + scope + " private" : "Make " + scope + " publicly readable"),
    ),
    editor,
    problem,
    el(
      "div",
      { class: "row" },
      el("button", {
        class: "primary",
        onclick: () =>
          guard(async () => {
            problem.textContent = "";
            try {
              await savePolicyText(bucket, editor.value);
            } catch (e) {
              // S3's refusal beside the editor, where the fix is made.
              problem.textContent = String(/** @type {Error} */ (e).message);
              return;
            }
            await showAccess(bucket, prefix);
            status("Policy saved");
          }),
      }, "Save policy"),
      el("button", {
        class: "danger",
        onclick: () =>
          guard(async () => {
            if (!confirm("Delete the policy of " + bucket + "?")) return;
            await writePolicy(bucket, null);
            status("Policy deleted");
            await showAccess(bucket, prefix);
          }),
      }, "Delete policy"),
    ),
  );
}

/**
 * Saves the editor's text as the bucket policy, as sent (S3 checks it); empty deletes the policy.
 * @param {string} bucket
 * @param {string} text
 */
async function savePolicyText(bucket, text) {
  if (text.trim() === "") {
    await writePolicy(bucket, null);
    return;
  }
  await s3("PUT", "/" + bucket, { policy: "" }, enc.encode(text), {
    "content-type": "application/json",
  });
}

/**
 * The bucket's policy, or null when it has none.
 * @param {string} bucket
 * @returns {Promise<any>}
 */
async function readPolicy(bucket) {
  try {
    return JSON.parse(await (await s3("GET", "/" + bucket, { policy: "" })).text());
  } catch (e) {
    if (String(/** @type {Error} */ (e).message).startsWith("NoSuchBucketPolicy")) return null;
    throw e;
  }
}

/**
 * Puts `policy`, or deletes the bucket's policy when null.
 * @param {string} bucket
 * @param {any} policy
 */
async function writePolicy(bucket, policy) {
  if (policy === null) {
    await s3("DELETE", "/" + bucket, { policy: "" });
    return;
  }
  await s3("PUT", "/" + bucket, { policy: "" }, enc.encode(JSON.stringify(policy)), {
    "content-type": "application/json",
  });
}

/**
 * The statements of a policy, as a list.
 * @param {any} policy
 * @returns {any[]}
 */
const statements = (policy) =>
  policy ? (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]) : [];

/**
 * The prefixes the console's own statements make public ("" for the whole bucket).
 * @param {any} policy
 * @returns {string[]}
 */
function publicPrefixes(policy) {
  return statements(policy)
    .filter((s) => typeof s.Sid === "string" && s.Sid.startsWith(SID))
    .map((s) => String(s.Resource).replace(/^arn:aws:s3:::[^/]*\//, "").replace(/\*$/, ""));
}

/**
 * One line on who may read the bucket.
 * @param {any} policy
 * @param {boolean} publicAcl
 */
function describe(policy, publicAcl) {
  const mine = publicPrefixes(policy);
  const others = statements(policy).length - mine.length;
  const parts = [];
  if (mine.includes("")) parts.push("public read");
  else if (mine.length) parts.push("public read under " + mine.join(", "));
  if (others > 0) parts.push("custom policy");
  if (publicAcl) parts.push("public by ACL");
  return "Access: " + (parts.length ? parts.join("; ") : "private");
}

/**
 * `policy` with the console's public-read statement for `prefix` added or removed; null when
 * nothing is left of it.
 * @param {string} bucket
 * @param {any} policy
 * @param {string} prefix
 * @param {boolean} makePublic
 */
function togglePublic(bucket, policy, prefix, makePublic) {
  const sid = SID + (prefix ? prefix.replace(/[^A-Za-z0-9]/g, "") + prefix.length : "");
  const kept = statements(policy).filter((s) => s.Sid !== sid);
  if (makePublic) {
    kept.push({
      Sid: sid,
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::" + bucket + "/" + prefix + "*",
    });
  }
  if (kept.length === 0) return null;
  return { Version: policy?.Version ?? "2012-10-17", ...(policy ?? {}), Statement: kept };
}

/**
 * IAM's wildcards: `*` for any run of characters (`/` and `:` included) and
 * `?` for exactly one, everything else literal.
 */

/** Compiles an IAM wildcard pattern; `ignoreCase` for action names, which IAM compares without case. */
export function wildcard(pattern: string, ignoreCase = false): RegExp {
  let source = "^";
  for (const c of pattern) {
    if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "\uE001") source += "\\*"; // a literal `*` from a policy variable
    else if (c === "\uE002") source += "\\?";
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(source + "$", ignoreCase ? "iu" : "u");
}

/**
 * Policy variables (`${aws:username}`, `${s3:prefix}`, and the escapes
 * `${*}`, `${?}`, `${$}`) in resources and condition values
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
 */
/** A request's values of a condition key (lower-case name); undefined when the request has none. */
export type ConditionValues = (key: string) => readonly string[] | undefined;

/**
 * Replaces the variables of `text` with the request's values. A variable the
 * request lacks (and has no default for) makes the text match nothing.
 */
export function substitute(text: string, vars: ConditionValues): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
    if (inner === "*" || inner === "?" || inner === "$") return ESCAPED[inner];
    const [name, fallback] = splitDefault(inner);
    const value = vars(name.toLowerCase())?.[0] ?? fallback;
    // A private-use character: no request value contains it, so the pattern cannot match.
    return value === undefined ? "\uE000" : value.replace(/[*?]/g, (c) => ESCAPED[c]);
  });
}

/**
 * Private-use stand-ins for a literal `*` and `?`: wildcard() matches them as
 * those characters, never as wildcards; literal() turns them back.
 */
const ESCAPED: Record<string, string> = { "*": "\uE001", "?": "\uE002", "$": "$" };

/** A substituted text with its literal stand-ins turned back into `*` and `?`. */
export function literal(text: string): string {
  return text.replaceAll("\uE001", "*").replaceAll("\uE002", "?");
}

function splitDefault(inner: string): [string, string | undefined] {
  const m = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
  return m ? [m[1], m[2]] : [inner, undefined];
}

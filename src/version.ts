/**
 * Build information. The release script rewrites the three constants below
 * before `deno compile`; a plain `deno run` reports `dev`.
 */

/** Release version, e.g. `0.1.0`; `dev` outside a release build. */
export const VERSION = "dev";
/** Git commit the build was made from; `none` outside a release build. */
export const COMMIT = "none";
/** Build date in ISO 8601; `unknown` outside a release build. */
export const BUILD_DATE = "unknown";

/** The one-line text printed by `-version`. */
export function versionLine(): string {
  return `geckos3 ${VERSION} (commit ${COMMIT}, built ${BUILD_DATE})`;
}

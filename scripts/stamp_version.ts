/**
 * Writes build information into src/version.ts in place (for image builds,
 * where the sources are a throwaway copy): `stamp_version.ts <version> <commit> <date>`.
 */
import { versionSource } from "./release.ts";

const [version = "dev", commit = "none", date = new Date().toISOString()] = Deno.args;
const file = new URL("../src/version.ts", import.meta.url);
await Deno.writeTextFile(
  file,
  versionSource(await Deno.readTextFile(file), { version, commit, date }),
);

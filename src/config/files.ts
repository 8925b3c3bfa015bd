/**
 * The files start-up reads besides the data dir: the credentials file and
 * the TLS certificate and key. The only module outside `src/storage/` that
 * reads the filesystem (tools/layers.ts allows it), and only at start-up.
 */
import type { Config } from "./types.ts";

/** Reads the credentials file: a JSON object of access key -> secret key. */
export async function loadCredentials(path: string): Promise<Map<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`cannot read credentials file ${path}: ${(e as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`credentials file ${path} must be a JSON object of "accessKey": "secretKey"`);
  }
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== "string" || k === "" || v === "") {
      throw new Error(`credentials file ${path}: the secret of "${k}" must be a non-empty string`);
    }
    map.set(k, v);
  }
  return map;
}

/** The secrets a server accepts: the credentials file's (if any), then `-access-key`'s. */
export async function loadSecrets(config: Config): Promise<Map<string, string>> {
  const secrets = config.credentialsFile
    ? await loadCredentials(config.credentialsFile)
    : new Map<string, string>();
  secrets.set(config.accessKey, config.secretKey);
  return secrets;
}

/** The TLS certificate and key (PEM) when TLS is configured, else null. */
export async function loadTls(config: Config): Promise<{ cert: string; key: string } | null> {
  if (!config.tlsCert) return null;
  return {
    cert: await Deno.readTextFile(config.tlsCert),
    key: await Deno.readTextFile(config.tlsKey),
  };
}

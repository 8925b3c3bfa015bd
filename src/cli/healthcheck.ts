/**
 * `-healthcheck`: probes `/health` of the server configured by the same
 * flags and env vars, for container HEALTHCHECKs (slim images have no curl).
 */
import { type Config, loadTls } from "../config/mod.ts";

/** The address a local client should use for a listen hostname. */
function probeHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** Returns 0 when the server answers /health with 200 within 3 s, else 1. */
export async function runHealthcheck(config: Config): Promise<number> {
  const tls = config.tlsCert !== "";
  const url = `${tls ? "https" : "http"}://${probeHost(config.hostname)}:${config.port}/health`;
  let client: Deno.HttpClient | undefined;
  try {
    const pem = await loadTls(config);
    if (pem) client = Deno.createHttpClient({ caCerts: [pem.cert] });
    const res = await fetch(url, { signal: AbortSignal.timeout(3000), client });
    await res.body?.cancel();
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  } finally {
    client?.close();
  }
}

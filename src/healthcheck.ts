/** `-healthcheck`: probes /health of a running server (placeholder until the release work lands). */
import type { Config } from "./config.ts";

/** Returns 0 when the server at the configured address answers /health with 200, else 1. */
export async function runHealthcheck(config: Config): Promise<number> {
  const host = config.hostname === "0.0.0.0" ? "127.0.0.1" : config.hostname;
  try {
    const res = await fetch(`http://${host}:${config.port}/health`, {
      signal: AbortSignal.timeout(3000),
    });
    await res.body?.cancel();
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

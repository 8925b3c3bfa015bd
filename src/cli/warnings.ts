/**
 * The warnings geckos3 logs at start-up about how it is configured: each a
 * setting that leaves the data open to more people than the user may think.
 */
import type { Config } from "../config/mod.ts";

/** True when `hostname` can only be reached from this machine. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The start-up warnings for `config`, one sentence each. */
export function startupWarnings(config: Config): string[] {
  if (config.auth) {
    return config.accessKey === "geckoadmin" && config.secretKey === "geckoadmin"
      ? ["using the default credentials geckoadmin/geckoadmin: set -access-key/-secret-key"]
      : [];
  }
  const out = [
    "authentication is OFF: anyone who can reach this port can read and write all data; " +
    "browser requests from other origins are refused unless a bucket has a CORS configuration",
  ];
  if (!isLoopback(config.hostname)) {
    out.push(
      `authentication is OFF and geckos3 listens beyond loopback (${config.listen}): ` +
        "every machine that can reach it can read and write all data; listen on 127.0.0.1 or turn -auth on",
    );
  }
  return out;
}

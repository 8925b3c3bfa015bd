/**
 * Reading a command line and the environment into a Config: flags (Go style:
 * `-flag value`, `-flag=value`, `--flag`), then `GECKOS3_*` variables, then
 * the defaults of OPTIONS.
 */
import { type Command, type Config, ConfigError } from "./types.ts";
import { OPTIONS } from "./options.ts";

const MAX_WORKERS = 256;

const BOOL_VALUES: Record<string, boolean> = {
  "1": true,
  t: true,
  true: true,
  TRUE: true,
  True: true,
  "0": false,
  f: false,
  false: false,
  FALSE: false,
  False: false,
};

function parseBool(value: string, source: string): boolean {
  const b = BOOL_VALUES[value];
  if (b === undefined) throw new ConfigError(`invalid boolean value "${value}" for ${source}`);
  return b;
}

function parseInt10(value: string, source: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`invalid number "${value}" for ${source}`);
  return Number(value);
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses a Go-style duration (`90s`, `15m`, `24h`, `1h30m`, or plain seconds) into seconds. */
export function parseDuration(value: string, source = "duration"): number {
  if (/^\d+$/.test(value)) return Number(value);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < value.length) {
    re.lastIndex = pos;
    const m = re.exec(value);
    if (!m) throw new ConfigError(`invalid duration "${value}" for ${source}`);
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (value === "") throw new ConfigError(`invalid duration "" for ${source}`);
  return total;
}

/** Splits a listen address (`:9000`, `host:port`, `[v6]:port`) into hostname and port. */
export function parseListen(listen: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(listen);
  if (!m) throw new ConfigError(`invalid listen address "${listen}" (want host:port or :port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`invalid port in listen address "${listen}"`);
  const hostname = m[1] ?? (m[2] === "" ? "0.0.0.0" : m[2]);
  return { hostname, port };
}

/**
 * Parses argv and the environment into a Command. Throws ConfigError on
 * unknown flags or bad values.
 */
export function parseCommand(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Command {
  const given = new Map<string, string>();
  let mode: "serve" | "version" | "help" | "healthcheck" = "serve";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const m = /^--?([a-zA-Z][\w-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument "${arg}" (flags look like -name=value)`);
    const name = m[1];
    if (name === "version" || name === "v") {
      mode = "version";
      continue;
    }
    if (name === "h" || name === "help") {
      mode = "help";
      continue;
    }
    if (name === "healthcheck") {
      mode = "healthcheck";
      continue;
    }
    const spec = OPTIONS.find((o) => o.flag === name);
    if (!spec) throw new ConfigError(`unknown flag -${name} (see -help)`);
    let value = m[2];
    if (value === undefined) {
      if (spec.kind === "bool") {
        // Go's flag package: a bare boolean flag means true; -flag=false to turn it off.
        value = "true";
      } else {
        if (i + 1 >= args.length) throw new ConfigError(`flag -${name} needs a value`);
        value = args[++i];
      }
    }
    given.set(name, value);
  }
  if (mode === "version" || mode === "help") return { kind: mode };
  const config = buildConfig(given, env);
  return mode === "healthcheck" ? { kind: "healthcheck", config } : { kind: "serve", config };
}

function buildConfig(given: Map<string, string>, env: Record<string, string | undefined>): Config {
  const raw = (flag: string): { value: string; source: string } => {
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    if (given.has(flag)) return { value: given.get(flag)!, source: `-${flag}` };
    for (const name of [spec.env, ...(spec.envAliases ?? [])]) {
      const fromEnv = name ? env[name] : undefined;
      if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: name! };
    }
    return { value: spec.def, source: `-${flag}` };
  };
  const str = (flag: string) => raw(flag).value;
  const bool = (flag: string) => {
    const r = raw(flag);
    return parseBool(r.value, r.source);
  };
  const int = (flag: string) => {
    const r = raw(flag);
    return parseInt10(r.value, r.source);
  };
  const duration = (flag: string) => {
    const r = raw(flag);
    return parseDuration(r.value, r.source);
  };
  const listen = str("listen");
  const { hostname, port } = parseListen(listen);
  const dataDir = str("data-dir");
  if (dataDir === "") throw new ConfigError("-data-dir must not be empty");
  const accessKey = str("access-key");
  const secretKey = str("secret-key");
  if (accessKey === "" || secretKey === "") {
    throw new ConfigError("-access-key and -secret-key must not be empty");
  }
  const tlsCert = str("tls-cert");
  const tlsKey = str("tls-key");
  if ((tlsCert === "") !== (tlsKey === "")) {
    throw new ConfigError("-tls-cert and -tls-key must be given together");
  }
  const region = str("region");
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(region)) {
    throw new ConfigError(`invalid region "${region}" (want a name like us-east-1)`);
  }
  const etag = str("etag");
  if (etag !== "md5" && etag !== "xxh3") {
    throw new ConfigError(`invalid -etag "${etag}" (want md5 or xxh3)`);
  }
  const workers = str("workers") === "auto" ? "auto" : int("workers");
  if (workers !== "auto" && workers > MAX_WORKERS) {
    throw new ConfigError(`-workers must be at most ${MAX_WORKERS}`);
  }
  return Object.freeze({
    dataDir,
    listen,
    hostname,
    port,
    accessKey,
    secretKey,
    region,
    auth: bool("auth"),
    metadata: bool("metadata"),
    etag,
    fsync: bool("fsync"),
    multipartTtlSeconds: duration("multipart-ttl"),
    lifecycleDaySeconds: duration("lifecycle-day"),
    credentialsFile: str("credentials-file"),
    notifyTargets: str("notify-targets"),
    buckets: bucketList(str("buckets")),
    seed: str("seed"),
    ephemeral: bool("ephemeral"),
    dataDirGiven: given.has("data-dir") || (env.GECKOS3_DATA_DIR ?? "") !== "",
    notifyQueueMb: int("notify-queue-mb"),
    maxRequests: int("max-requests"),
    tlsCert,
    tlsKey,
    domains: domainList(str("domain")),
    websiteDomains: domainList(str("website-domain")),
    cors: bool("cors"),
    console: bool("console"),
    metrics: bool("metrics"),
    metricsToken: str("metrics-token"),
    headerTimeoutSeconds: duration("header-timeout"),
    idleTimeoutSeconds: duration("idle-timeout"),
    maxConnections: int("max-connections"),
    workers,
  });
}

/** Builds a config from defaults plus the given overrides (for tests and embedding). */
export function makeConfig(overrides: Partial<Config> = {}): Config {
  const base = buildConfig(new Map(), {});
  return Object.freeze({ ...base, ...overrides });
}

/** The `-help` text, generated from OPTIONS. */
export function helpText(): string {
  const lines = [
    "geckos3: an S3-compatible object storage server on the local filesystem",
    "",
    "Usage: geckos3 [flags]",
    "",
    "Flags (each also settable by its environment variable):",
  ];
  for (const o of OPTIONS) {
    lines.push(`  -${o.flag} ${o.kind === "bool" ? "" : "value"}`.trimEnd());
    lines.push(
      `      ${o.help} (default ${JSON.stringify(o.def)}${o.env ? `, env ${o.env}` : ""})`,
    );
  }
  lines.push("  -version\n      Print version, commit and build date, then exit");
  lines.push(
    "  -healthcheck\n      Probe /health of the server at -listen; exit 0 when healthy, 1 otherwise",
  );
  lines.push("  -h, -help\n      Show this help");
  return lines.join("\n");
}

/** A comma-separated list of domains: lower case, without a leading dot. */
function domainList(text: string): readonly string[] {
  return Object.freeze(
    text.split(",").map((d) => d.trim().toLowerCase().replace(/^\./, "")).filter((d) => d !== ""),
  );
}

/** Bucket names from a comma-separated list (checked when the buckets are made). */
function bucketList(text: string): readonly string[] {
  return Object.freeze(text.split(",").map((b) => b.trim()).filter((b) => b !== ""));
}

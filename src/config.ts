/**
 * Configuration: command-line flags (Go style: `-flag value`, `-flag=value`,
 * `--flag`), then `GECKOS3_*` environment variables, then defaults. Parsed
 * once into a frozen object and passed down.
 */

/** The server's whole configuration. */
export interface Config {
  /** Root directory for bucket storage. */
  readonly dataDir: string;
  /** Listen address as given (`:9000`, `127.0.0.1:9000`, `[::1]:0`). */
  readonly listen: string;
  /** Host name part of `listen` (`0.0.0.0` when empty). */
  readonly hostname: string;
  /** Port part of `listen` (0 picks a free port). */
  readonly port: number;
  /** Access key of the main credential. */
  readonly accessKey: string;
  /** Secret key of the main credential. */
  readonly secretKey: string;
  /** Region this server answers for: signatures must be scoped to it (default us-east-1). */
  readonly region: string;
  /** Whether SigV4 authentication is enforced. */
  readonly auth: boolean;
  /** Whether metadata sidecars are written and read. */
  readonly metadata: boolean;
  /** Whether files and directories are fsynced before a write is acknowledged. */
  readonly fsync: boolean;
  /** Age after which abandoned multipart uploads are removed, in seconds. */
  readonly multipartTtlSeconds: number;
  /** Optional JSON file of extra credentials (access key -> secret). */
  readonly credentialsFile: string;
  /** Largest number of requests served at once; beyond it 503 SlowDown (0 = no cap). */
  readonly maxRequests: number;
  /** PEM certificate file; HTTPS when set (with tlsKey). */
  readonly tlsCert: string;
  /** PEM private key file. */
  readonly tlsKey: string;
  /** Domains for virtual-hosted-style addressing (lower case, no port). */
  readonly domains: readonly string[];
  /** Default CORS (allow every origin) for buckets without a CORS configuration. */
  readonly cors: boolean;
  /** Serve /metrics. */
  readonly metrics: boolean;
  /** Bearer token that also shows per-bucket metrics ("" = only signed scrapes do). */
  readonly metricsToken: string;
  /** Seconds a connection has to send a whole request head once it starts one (0 = no limit). */
  readonly headerTimeoutSeconds: number;
  /** Seconds a connection may sit idle between requests (0 = no limit). */
  readonly idleTimeoutSeconds: number;
  /** Connections held open at once; the idlest beyond it are closed (0 = no cap). */
  readonly maxConnections: number;
  /** Serve the web console at /_console/. */
  readonly console: boolean;
  /**
   * Server instances sharing the port, one thread each (Linux); 0 = one per
   * CPU core; "auto" = one per core, at most AUTO_WORKERS.
   */
  readonly workers: number | "auto";
}

/** What a command line asks main.ts to do. */
export type Command =
  | { kind: "serve"; config: Config }
  | { kind: "version" }
  | { kind: "help" }
  | { kind: "healthcheck"; config: Config };

/** A bad flag, env var or value: printed as one line, exit code 2. */
export class ConfigError extends Error {
  /** Creates the error with its one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Kind = "string" | "bool" | "int" | "duration";

/**
 * Server threads of the default `-workers auto` (fewer on fewer cores): each
 * adds about 25 MiB at rest, and two took small-object throughput 1.3-1.6x
 * on two cores (docs/performance.md); more stay one flag away.
 */
export const AUTO_WORKERS = 2;

interface OptionSpec {
  flag: string;
  env?: string;
  kind: Kind;
  def: string;
  help: string;
}

/** Every option: flag name, env var, type, default and help text. The single source of truth. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: "data-dir",
    env: "GECKOS3_DATA_DIR",
    kind: "string",
    def: "./data",
    help: "Root directory for bucket storage",
  },
  {
    flag: "listen",
    env: "GECKOS3_LISTEN",
    kind: "string",
    def: ":9000",
    help: "HTTP listen address",
  },
  {
    flag: "access-key",
    env: "GECKOS3_ACCESS_KEY",
    kind: "string",
    def: "geckoadmin",
    help: "AWS access key ID",
  },
  {
    flag: "secret-key",
    env: "GECKOS3_SECRET_KEY",
    kind: "string",
    def: "geckoadmin",
    help: "AWS secret access key",
  },
  {
    flag: "region",
    env: "GECKOS3_REGION",
    kind: "string",
    def: "us-east-1",
    help: "Region of this server: signatures must name it, GetBucketLocation answers it",
  },
  {
    flag: "auth",
    env: "GECKOS3_AUTH_ENABLED",
    kind: "bool",
    def: "true",
    help: "Enable SigV4 authentication",
  },
  {
    flag: "metadata",
    env: "GECKOS3_METADATA",
    kind: "bool",
    def: "true",
    help: "Persist metadata in sidecar files",
  },
  {
    flag: "fsync",
    env: "GECKOS3_FSYNC",
    kind: "bool",
    def: "false",
    help: "Fsync files and directories before acknowledging writes",
  },
  {
    flag: "multipart-ttl",
    env: "GECKOS3_MULTIPART_TTL",
    kind: "duration",
    def: "24h",
    help: "Age after which abandoned multipart uploads are removed",
  },
  {
    flag: "credentials-file",
    env: "GECKOS3_CREDENTIALS_FILE",
    kind: "string",
    def: "",
    help: 'JSON file of extra credentials {"accessKey": "secret"}',
  },
  {
    flag: "max-requests",
    env: "GECKOS3_MAX_REQUESTS",
    kind: "int",
    def: "1024",
    help: "Requests served at once before answering 503 SlowDown (0 = no cap)",
  },
  {
    flag: "tls-cert",
    env: "GECKOS3_TLS_CERT",
    kind: "string",
    def: "",
    help: "PEM certificate file: serve HTTPS (HTTP/1.1 and HTTP/2) instead of HTTP",
  },
  {
    flag: "tls-key",
    env: "GECKOS3_TLS_KEY",
    kind: "string",
    def: "",
    help: "PEM private key file for -tls-cert",
  },
  {
    flag: "domain",
    env: "GECKOS3_DOMAIN",
    kind: "string",
    def: "",
    help: "Domains for virtual-hosted-style requests (bucket.domain), comma-separated",
  },
  {
    flag: "cors",
    env: "GECKOS3_CORS",
    kind: "bool",
    def: "true",
    help: "Allow every origin on buckets without a CORS configuration",
  },
  {
    flag: "metrics",
    env: "GECKOS3_METRICS",
    kind: "bool",
    def: "true",
    help: "Serve Prometheus metrics at /metrics (totals for anyone, per bucket for signed scrapes)",
  },
  {
    flag: "metrics-token",
    env: "GECKOS3_METRICS_TOKEN",
    kind: "string",
    def: "",
    help:
      "Bearer token for /metrics with per-bucket series (signed requests get them too; others get totals)",
  },
  {
    flag: "header-timeout",
    env: "GECKOS3_HEADER_TIMEOUT",
    kind: "duration",
    def: "20s",
    help: "Time a connection has to send a whole request head (0 = no limit)",
  },
  {
    flag: "idle-timeout",
    env: "GECKOS3_IDLE_TIMEOUT",
    kind: "duration",
    def: "60s",
    help: "Time a connection may stay idle between requests before it is closed (0 = no limit)",
  },
  {
    flag: "max-connections",
    env: "GECKOS3_MAX_CONNECTIONS",
    kind: "int",
    def: "4096",
    help:
      "Connections held open at once; beyond it the idlest are closed (0 = no cap; lowered to fit the open-file limit)",
  },
  {
    flag: "console",
    env: "GECKOS3_CONSOLE",
    kind: "bool",
    def: "true",
    help: "Serve the web console at /_console/",
  },
  {
    flag: "workers",
    env: "GECKOS3_WORKERS",
    kind: "string",
    def: "auto",
    help:
      `Server threads sharing the port (Linux; auto = one per core up to ${AUTO_WORKERS}, 0 = one per core)`,
  },
];

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
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: spec.env! };
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
    fsync: bool("fsync"),
    multipartTtlSeconds: duration("multipart-ttl"),
    credentialsFile: str("credentials-file"),
    maxRequests: int("max-requests"),
    tlsCert,
    tlsKey,
    domains: Object.freeze(
      str("domain").split(",").map((d) => d.trim().toLowerCase().replace(/^\./, "")).filter((d) =>
        d !== ""
      ),
    ),
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

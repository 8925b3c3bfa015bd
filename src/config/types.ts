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
  /** The hash of the ETags written: MD5 (S3's), or XXH3-128 (-etag=xxh3). */
  readonly etag: "md5" | "xxh3";
  /** Whether files and directories are fsynced before a write is acknowledged. */
  readonly fsync: boolean;
  /** Age after which abandoned multipart uploads are removed, in seconds. */
  readonly multipartTtlSeconds: number;
  /** Length of a lifecycle rule's day, in seconds (24 h; shorter for tests and demos). */
  readonly lifecycleDaySeconds: number;
  /** Buckets created at start-up when missing. */
  readonly buckets: readonly string[];
  /** Seed file (JSON) applied at start-up ("" for none). */
  readonly seed: string;
  /** Serve a fresh temporary data dir (or the one given) and remove it on exit. */
  readonly ephemeral: boolean;
  /** Whether -data-dir (or its variable) was given rather than defaulted. */
  readonly dataDirGiven: boolean;
  /** Event notification targets: a JSON file's path, or the JSON itself ("" for none). */
  readonly notifyTargets: string;
  /** Most MiB of undelivered events a target's queue keeps. */
  readonly notifyQueueMb: number;
  /** Optional users file (JSON): more keys, each with a name and a policy; read again on change. */
  readonly credentialsFile: string;
  /** Largest number of requests served at once; beyond it 503 SlowDown (0 = no cap). */
  readonly maxRequests: number;
  /** PEM certificate file; HTTPS when set (with tlsKey). */
  readonly tlsCert: string;
  /** PEM private key file. */
  readonly tlsKey: string;
  /** Domains for virtual-hosted-style addressing (lower case, no port). */
  readonly domains: readonly string[];
  /** Domains whose subdomains serve bucket websites (`bucket.domain`). */
  readonly websiteDomains: readonly string[];
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

/**
 * Server threads of the default `-workers auto` (fewer on fewer cores): each
 * adds about 25 MiB at rest, and two took small-object throughput 1.3-1.6x
 * on two cores (docs/performance.md); more stay one flag away.
 */
export const AUTO_WORKERS = 2;

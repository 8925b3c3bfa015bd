/** Every flag of the server: name, environment variable, type, default and help. */
import { AUTO_WORKERS } from "./types.ts";

/** The type of an option's value. */
export type Kind = "string" | "bool" | "int" | "duration";

/** One option. */
export interface OptionSpec {
  flag: string;
  env?: string;
  /** Other variables read, in order, when `env` is unset (names other servers use). */
  envAliases?: readonly string[];
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
    // MinIO's names: compose files and CI services moving from MinIO keep working.
    envAliases: ["MINIO_ROOT_USER"],
    kind: "string",
    def: "geckoadmin",
    help: "AWS access key ID",
  },
  {
    flag: "secret-key",
    env: "GECKOS3_SECRET_KEY",
    envAliases: ["MINIO_ROOT_PASSWORD"],
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
    flag: "etag",
    env: "GECKOS3_ETAG",
    kind: "string",
    def: "md5",
    help: "ETag hash: md5 (S3's) or xxh3 (cheaper; written <hex>-1, never an MD5)",
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
    flag: "buckets",
    env: "GECKOS3_BUCKETS",
    kind: "string",
    def: "",
    help: "Buckets to create at start-up when missing, comma-separated",
  },
  {
    flag: "seed",
    env: "GECKOS3_SEED",
    kind: "string",
    def: "",
    help: "Seed file (JSON): buckets with settings and objects, users, applied at start-up",
  },
  {
    flag: "ephemeral",
    env: "GECKOS3_EPHEMERAL",
    kind: "bool",
    def: "false",
    help: "Serve a fresh temporary data dir (or -data-dir) and remove it on exit",
  },
  {
    flag: "notify-targets",
    env: "GECKOS3_NOTIFY_TARGETS",
    kind: "string",
    def: "",
    help: "Event notification targets: a JSON file, or the JSON itself (see README)",
  },
  {
    flag: "notify-queue-mb",
    env: "GECKOS3_NOTIFY_QUEUE_MB",
    kind: "int",
    def: "64",
    help: "Most MiB of undelivered events kept per target; newer events are dropped past it",
  },
  {
    flag: "lifecycle-day",
    env: "GECKOS3_LIFECYCLE_DAY",
    kind: "duration",
    def: "24h",
    help: "Length of a lifecycle rule's day (shorten it for tests and demos: 10s)",
  },
  {
    flag: "credentials-file",
    env: "GECKOS3_CREDENTIALS_FILE",
    kind: "string",
    def: "",
    help: 'Users file (JSON): {"users": [{"accessKey", "secretKey", "name", "policy"}]}',
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
    flag: "website-domain",
    env: "GECKOS3_WEBSITE_DOMAIN",
    kind: "string",
    def: "",
    help: "Domains whose subdomains serve bucket websites (bucket.domain), comma-separated",
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

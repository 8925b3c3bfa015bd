/** The benchmark's command line, parsed once into options (see main.ts for the usage). */
import { parseArgs } from "node:util";

/** Parses the command line; `--auth=true|false` read as `--auth` / `--no-auth` (last one wins). */
export function parseBenchArgs(argv: readonly string[]) {
  const args = argv.map((a) => {
    const m = /^--auth=(true|false)$/i.exec(a);
    return m ? (m[1].toLowerCase() === "true" ? "--auth" : "--no-auth") : a;
  });
  const { values } = parseArgs({
    args,
    allowNegative: true,
    options: {
      duration: { type: "string", default: "10" },
      clients: { type: "string", default: "32" },
      scenarios: {
        type: "string",
        default: "small,large,listing,multipart,memory,versions,access,lifecycle,notify",
      },
      "memory-large": { type: "string", default: "5GiB" },
      "post-large": { type: "string", default: "2GiB" },
      "lifecycle-keys": { type: "string", default: "100000" },
      sizes: { type: "string", default: "4KiB,1MiB" },
      large: { type: "string", default: "1GiB" },
      peer: { type: "string", multiple: true, default: [] },
      "peer-go": { type: "string" },
      endpoint: { type: "string", multiple: true, default: [] },
      name: { type: "string", multiple: true, default: [] },
      auth: { type: "boolean", default: false },
      "access-key": { type: "string" },
      "secret-key": { type: "string" },
      region: { type: "string", default: "us-east-1" },
      workers: { type: "string", default: "auto" },
      "listing-keys": { type: "string", default: "200000" },
      "listing-fill": { type: "string", default: "auto" },
      ops: { type: "string", default: "PUT,GET,HEAD,STAT,DELETE,MIXED" },
      repeat: { type: "string", default: "1" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if ((values["access-key"] === undefined) !== (values["secret-key"] === undefined)) {
    throw new Error("--access-key and --secret-key go together");
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) {
    throw new Error(`--repeat must be a whole number >= 1`);
  }
  return values;
}

/** The parsed command line. */
export type BenchArgs = ReturnType<typeof parseBenchArgs>;

/** A size such as `4KiB`, `1GiB` or `512` in bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  const unit = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[(m[2] ?? "b").toLowerCase()]!;
  return Number(m[1]) * unit;
}

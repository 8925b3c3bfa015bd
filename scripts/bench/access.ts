/**
 * Access control's price: signed 4 KiB GETs by a user whose access comes
 * from a bucket policy, on a server with ten users, beside the same GETs by
 * the administrator on a bucket without a policy, round by round. geckos3
 * started here only (it needs the users file), and only with --auth.
 */
import { type Bench, pool } from "./context.ts";
import { luaFor, runWrk } from "./drivers.ts";
import { fmtSize } from "./report.ts";
import { measured } from "./system.ts";
import { loadRow } from "./rows.ts";
import type { Endpoint, Result } from "./types.ts";
import type { Signer } from "../presign.ts";

/** Users in the file: each with an inline policy on a bucket of its own. */
const USERS = 10;

/** The users of the run (the last one reads through the bucket policy). */
function benchUsers(b: Bench): Signer[] {
  return [...Array(USERS).keys()].map((i) => ({
    accessKey: `bench-user-${i}`,
    secretKey: `bench-user-secret-${i}`,
    region: b.signer.region,
  }));
}

/** Writes the run's users file and returns its path (geckos3 starts with it). */
export async function writeBenchUsersFile(b: Bench): Promise<string> {
  const users = benchUsers(b).map((s, i) => ({
    accessKey: s.accessKey,
    secretKey: s.secretKey,
    name: `user${i}`,
    policy: {
      Version: "2012-10-17",
      Statement: [{
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        Resource: [`arn:aws:s3:::home-${i}`, `arn:aws:s3:::home-${i}/*`],
      }],
    },
  }));
  const path = await Deno.makeTempFile({ prefix: "geckos3-bench-users-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ users }));
  return path;
}

/** A bucket policy of the shape apps use: reads for the users, a Deny on a prefix, a condition. */
function policyFor(bucket: string): string {
  const arns = [...Array(USERS).keys()].map((i) => `arn:aws:iam::000000000000:user/user${i}`);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "UsersRead",
        Effect: "Allow",
        Principal: { AWS: arns },
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
      {
        Sid: "NoSecrets",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `arn:aws:s3:::${bucket}/secret/*`,
      },
      {
        Sid: "LoopbackOnly",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } },
      },
    ],
  });
}

/** GET rounds: the administrator without a policy, then a user through the bucket policy. */
export async function access(b: Bench, ep: Endpoint, size: number): Promise<Result[]> {
  const payload = new Uint8Array(size).map((_, i) => (i * 29) & 255);
  const keys = 1000;
  const buckets = { open: "bench-access-open", policy: "bench-access-policy" };
  for (const [kind, bucket] of Object.entries(buckets)) {
    await b.request("PUT", `${ep.url}/${bucket}`);
    if (kind === "policy") await b.request("PUT", `${ep.url}/${bucket}?policy`, policyFor(bucket));
    b.progress(`${ep.name}: access: ${keys} objects in ${bucket}`);
    await pool([...Array(keys).keys()], 16, async (i) => {
      await (await b.request("PUT", `${ep.url}/${bucket}/obj-${i}`, payload)).body?.cancel();
    });
  }
  const admin = b.signers.get(ep.url)!;
  const user = benchUsers(b).at(-1)!;
  const results: Result[] = [];
  for (b.round = 1; b.round <= b.repeat; b.round++) {
    for (const [kind, bucket] of Object.entries(buckets)) {
      b.signers.set(ep.url, kind === "policy" ? user : admin);
      try {
        const row = await measured(
          b,
          ep,
          async () =>
            loadRow(
              await runWrk(b, ep.url, luaFor(b, "GET", ep.url, bucket, keys, "/dev/null")),
              size,
            ),
          `GET ${fmtSize(size)} ${
            kind === "policy" ? "user via bucket policy" : "admin, no policy"
          }`,
        );
        if (row.errors > 0) throw new Error(`${row.errors} GETs failed in ${bucket}`);
        results.push(...b.inRound([row]));
      } finally {
        b.signers.set(ep.url, admin);
      }
    }
  }
  const ratios: number[] = [];
  for (let i = 0; i + 1 < results.length; i += 2) {
    ratios.push(results[i + 1].opsPerSec / results[i].opsPerSec);
  }
  const median = [...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)];
  b.notes.push(
    `${ep.name}: signed GET by a user through a bucket policy (${USERS} users) over the administrator` +
      ` without one: ${median.toFixed(2)}x (rounds ${ratios.map((r) => r.toFixed(2)).join(", ")};` +
      " target >= 0.90)",
  );
  return results;
}

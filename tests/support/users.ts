/** Test support: users files, and SDK clients signing as one of their users. */
import type { S3Client } from "../deps/aws_sdk.ts";
import { sdkClient } from "./server.ts";

/** One user of a users file. */
export interface TestUser {
  accessKey: string;
  secretKey: string;
  name?: string;
  policy?: unknown;
}

/** An inline policy allowing `actions` on `resources`. */
export function allow(actions: string[], resources: string[]): unknown {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: actions, Resource: resources }],
  };
}

/** The users of the access tests: a read-only key, a key for one bucket, and one with no policy. */
export const READER: TestUser = {
  accessKey: "reader-key",
  secretKey: "reader-secret",
  name: "reader",
  policy: allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::media", "arn:aws:s3:::media/*"]),
};
/** Everything on the `appdata` bucket, nothing elsewhere. */
export const APP: TestUser = {
  accessKey: "app-key",
  secretKey: "app-secret",
  name: "app",
  policy: allow(["s3:*"], ["arn:aws:s3:::appdata", "arn:aws:s3:::appdata/*"]),
};
/** No policy: only what bucket policies and ACLs grant. */
export const NOBODY: TestUser = {
  accessKey: "nobody-key",
  secretKey: "nobody-secret",
  name: "nobody",
};

/** Writes a users file of `users` (in a new temp dir) and returns its path. */
export async function writeUsersFile(users: TestUser[], path?: string): Promise<string> {
  const file = path ?? `${await Deno.makeTempDir({ prefix: "geckos3-users-" })}/users.json`;
  const tmp = `${file}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify({ users }, null, 2));
  await Deno.rename(tmp, file);
  return file;
}

/** An SDK client signing as `user`. */
export function clientAs(url: string, user: TestUser): S3Client {
  return sdkClient(url, {
    credentials: { accessKeyId: user.accessKey, secretAccessKey: user.secretKey },
  });
}

/** A bucket policy that lets everyone read every object of `bucket` (a public site). */
export function publicReadPolicy(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{
      Sid: "PublicRead",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::${bucket}/*`,
    }],
  });
}

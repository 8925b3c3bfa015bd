/** Object Lock as boto3 sees it, one behaviour per case (tests/clients/boto3_object_lock.py). */
import { boto3Cases } from "./support/boto3.ts";
import { allow, type TestUser, writeUsersFile } from "./support/users.ts";

const VAULT = ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"];
const VERSION_WORK = [
  "s3:PutObject",
  "s3:DeleteObjectVersion",
  "s3:PutObjectRetention",
  "s3:ListBucket",
];
/** Writes and deletes versions of "vault"; may not bypass governance. */
const WORKER: TestUser = {
  accessKey: "worker-key",
  secretKey: "worker-secret",
  name: "worker",
  policy: allow(VERSION_WORK, VAULT),
};
/** The same, and may bypass governance. */
const STEWARD: TestUser = {
  accessKey: "steward-key",
  secretKey: "steward-secret",
  name: "steward",
  policy: allow([...VERSION_WORK, "s3:BypassGovernanceRetention"], VAULT),
};

const boto3 = boto3Cases("boto3_object_lock.py", async () => ({
  flags: [`-credentials-file=${await writeUsersFile([WORKER, STEWARD])}`],
  env: {
    WORKER_KEY: WORKER.accessKey,
    WORKER_SECRET: WORKER.secretKey,
    STEWARD_KEY: STEWARD.accessKey,
    STEWARD_SECRET: STEWARD.secretKey,
  },
}));

boto3("lock_configuration", "Object Lock configuration, default retention, pinned versioning");
boto3("retention_and_legal_hold", "lock parameters, HEAD fields, retention changes, legal hold");
boto3(
  "deletes_refused",
  "locked versions refused by id and in batches; the bypass opens governance",
);
boto3("bypass_permission", "the bypass header needs s3:BypassGovernanceRetention");

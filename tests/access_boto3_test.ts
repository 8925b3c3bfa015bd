/** boto3 with two users of a users file: what each may do, policies and ACLs (tests/clients/boto3_access.py). */
import { boto3Cases } from "./support/boto3.ts";
import { APP, READER, writeUsersFile } from "./support/users.ts";

const boto3 = boto3Cases("boto3_access.py", async () => ({
  flags: [`-credentials-file=${await writeUsersFile([READER, APP])}`],
  env: {
    READER_KEY: READER.accessKey,
    READER_SECRET: READER.secretKey,
    APP_KEY: APP.accessKey,
    APP_SECRET: APP.secretKey,
  },
}));

boto3("readonly", "a read-only key reads, and is refused PUT, DELETE, copy, tagging and policy");
boto3("scoped", "a bucket-scoped key is refused on other buckets and lists only its own");
boto3("policy", "bucket policies: malformed ones refused, Deny beats Allow, public reads");
boto3("acl", "ACLs, public access block and ownership controls round-trip and are honoured");

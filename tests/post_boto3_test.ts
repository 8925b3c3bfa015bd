/** boto3's generate_presigned_post, SigV4 and SigV2, with and without conditions (tests/clients/boto3_post.py). */
import { boto3Cases } from "./support/boto3.ts";

const boto3 = boto3Cases("boto3_post.py");

boto3(
  "sigv4",
  "presigned POST (SigV4): uploads with and without conditions; each broken one refused",
);
boto3(
  "sigv2",
  "presigned POST (SigV2): uploads with and without conditions; each broken one refused",
);

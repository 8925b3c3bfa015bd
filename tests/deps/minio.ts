/** The MinIO JavaScript client, pinned here for the tests only (see aws_sdk.ts for why not in deno.json). */
export * from "npm:minio@8.0.7";

/** boto3 (the machine's Python) against a geckos3 process: the README example verbatim, then the wider matrix. */
import { hasCommand, withClientServer } from "./support/clients.ts";
import { assert } from "./support/assert.ts";

const PYTHON = "python3";
/** Fails loudly unless python3 can import boto3 (.ci/run installs python3-boto3 when it cannot). */
function requireBoto3(): void {
  const ok = hasCommand(PYTHON) &&
    new Deno.Command(PYTHON, { args: ["-c", "import boto3"], stdout: "null", stderr: "null" })
      .outputSync().success;
  if (!ok) {
    throw new Error(
      'python3 cannot import boto3: install the Debian package "python3-boto3" (.ci/run does)',
    );
  }
}

/** The Python example of the README, exactly as written there. */
async function readmeExample(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const start = readme.indexOf("```python\n", readme.indexOf("### Python (boto3)"));
  assert(start >= 0, "README has no Python example");
  return readme.slice(start + "```python\n".length, readme.indexOf("```", start + 10));
}

Deno.test({
  name: "boto3: the README's Python example runs verbatim",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireBoto3();
  await withClientServer(async (c) => {
    const r = await c.run(PYTHON, ["-c", await readmeExample()], { env: { S3_ENDPOINT: c.url } });
    assert(r.stdout.includes("all good alice"), r.stdout);
    assert(/2026\/q4\.txt 8 "[0-9a-f]{32}"/.test(r.stdout), r.stdout);
  });
});

Deno.test({
  name: "boto3: 50 MiB TransferManager, presigned get/put via urllib, metadata, paginators",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  requireBoto3();
  await withClientServer(async (c) => {
    const script = new URL("./clients/boto3_matrix.py", import.meta.url).pathname;
    const r = await c.run(PYTHON, [script, c.work], { env: { S3_ENDPOINT: c.url } });
    assert(r.stdout.includes("boto3 matrix ok"), r.stdout + r.stderr);
  });
});

/** Test declarations for boto3 scripts that run one named case each against a fresh server. */
import { hasCommand, withClientServer } from "./clients.ts";
import { assert } from "./assert.ts";

/**
 * A function declaring a test for one case of `script` (a Python file in
 * tests/clients/ that prints `ok CASE`), each case against a fresh server
 * started with the flags `setup` gives, the script run with its env.
 */
export function boto3Cases(
  script: string,
  setup: () => Promise<{ flags: string[]; env: Record<string, string> }> = () =>
    Promise.resolve({ flags: [], env: {} }),
): (name: string, what: string) => void {
  const path = new URL(`../clients/${script}`, import.meta.url).pathname;
  return (name, what) => {
    Deno.test(
      { name: `boto3: ${what}`, sanitizeResources: false, sanitizeOps: false },
      async () => {
        assert(hasCommand("python3"), "python3 with boto3 is needed (.ci/run installs it)");
        const { flags, env } = await setup();
        await withClientServer(async (c) => {
          const r = await c.run("python3", [path, name], { env: { ...env, S3_ENDPOINT: c.url } });
          assert(r.stdout.includes(`ok ${name}`), `${r.stdout}\n${r.stderr}`);
        }, flags);
      },
    );
  };
}

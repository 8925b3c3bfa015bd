/**
 * The composite GitHub Action (action.yml, action/start.sh) run as a runner
 * runs it, with a stand-in for the release binary it would download (no
 * internet here): `deno run main.ts` with the start task's permissions.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { freePort, START_FLAGS } from "./support/process.ts";
import { sdkClient } from "./support/server.ts";
import { ListBucketsCommand } from "./deps/aws_sdk.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Runs action/start.sh with the runner's environment and the action's inputs. */
async function runAction(inputs: Record<string, string>) {
  const runner = await Deno.makeTempDir({ prefix: "geckos3-action-" });
  const binary = `${runner}/geckos3-stand-in`;
  await Deno.writeTextFile(
    binary,
    `#!/bin/sh\nexec "${Deno.execPath()}" run ${START_FLAGS.join(" ")} "${ROOT}main.ts" "$@"\n`,
  );
  await Deno.chmod(binary, 0o755);
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}action/start.sh`],
    env: {
      RUNNER_TEMP: runner,
      GITHUB_ENV: `${runner}/env`,
      GITHUB_OUTPUT: `${runner}/output`,
      GECKOS3_BINARY: binary,
      ...inputs,
    },
  }).output();
  const read = (name: string) => Deno.readTextFile(`${runner}/${name}`).catch(() => "");
  return {
    runner,
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    env: await read("env"),
    output: await read("output"),
    async stop() {
      const pid = Number(await read("geckos3/geckos3.pid"));
      // The stand-in's deno is the process group's leader of the server: stop it and wait.
      if (pid) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch {
          // gone already
        }
        for (let i = 0; i < 100; i++) {
          try {
            Deno.kill(pid, "SIGCONT");
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await Deno.remove(runner, { recursive: true });
    },
  };
}

Deno.test("action.yml runs action/start.sh with every input", async () => {
  const action = await Deno.readTextFile(`${ROOT}action.yml`);
  assert(action.includes('run: bash "$GITHUB_ACTION_PATH/action/start.sh"'), action);
  for (const input of ["version", "buckets", "access-key", "secret-key", "port", "args"]) {
    const env = `INPUT_${input.toUpperCase().replace("-", "_")}`;
    assert(action.includes(`${env}: \${{ inputs.${input} }}`), `${input} is not passed on`);
  }
});

Deno.test({
  name: "the action starts geckos3, waits for it, and exports the endpoint and credentials",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = await freePort();
    const run = await runAction({
      INPUT_PORT: String(port),
      INPUT_BUCKETS: "uploads,artifacts",
      INPUT_ACCESS_KEY: "ci-key",
      INPUT_SECRET_KEY: "ci-secret",
    });
    try {
      assertEquals(run.code, 0, run.stderr);
      const endpoint = `http://127.0.0.1:${port}`;
      assertEquals(
        run.env,
        `AWS_ENDPOINT_URL=${endpoint}\nAWS_ACCESS_KEY_ID=ci-key\nAWS_SECRET_ACCESS_KEY=ci-secret\nAWS_REGION=us-east-1\n`,
      );
      assertEquals(run.output, `endpoint=${endpoint}\n`);
      const s3 = sdkClient(endpoint, {
        credentials: { accessKeyId: "ci-key", secretAccessKey: "ci-secret" },
      });
      const names = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
      s3.destroy();
      assertEquals(names, ["artifacts", "uploads"]);
    } finally {
      await run.stop();
    }
  },
});

Deno.test({
  name: "the action fails the step, with the server's own words, when geckos3 cannot start",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await runAction({
      INPUT_PORT: String(await freePort()),
      INPUT_ARGS: "-seed /nonexistent/seed.json",
    });
    try {
      assertEquals(run.code, 1);
      assert(run.stderr.includes("cannot read seed file /nonexistent/seed.json"), run.stderr);
      assertEquals(run.env, "");
    } finally {
      await run.stop();
    }
  },
});

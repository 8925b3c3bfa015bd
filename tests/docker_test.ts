/**
 * No Docker engine runs here, so the image's contract is tested directly:
 * the Dockerfile's ENV, ENTRYPOINT and HEALTHCHECK, run as the image would
 * run them (the compiled binary replaced by `deno run main.ts` with the
 * same permission flags the Dockerfile compiles in).
 */
import { assert, assertEquals } from "./support/assert.ts";
import { freePort, spawnServer } from "./support/process.ts";
import { OPTIONS } from "../src/config/mod.ts";
import { COMPILE_INCLUDES, runtimeFlags } from "../scripts/release.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const dockerfile = Deno.readTextFileSync(`${ROOT}Dockerfile`);

function envOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^ENV\s+((?:.*\\\n)*.*)$/gm)) {
    for (const pair of m[1].replace(/\\\n/g, " ").trim().split(/\s+/)) {
      const [k, v] = pair.split("=");
      env[k] = v;
    }
  }
  return env;
}

function jsonArray(directive: string): string[] {
  const m = new RegExp(`^${directive}.*?(\\[.*\\])\\s*$`, "m").exec(dockerfile);
  assert(m, `Dockerfile has no ${directive} [..]`);
  return JSON.parse(m[1]);
}

Deno.test("the Dockerfile's ENV, ENTRYPOINT and HEALTHCHECK work as the image runs them", async () => {
  const env = envOf(dockerfile);
  assertEquals(env, { GECKOS3_DATA_DIR: "/data", GECKOS3_LISTEN: ":9000" });
  const entrypoint = jsonArray("ENTRYPOINT");
  const healthcheck = jsonArray("HEALTHCHECK");
  assertEquals(entrypoint, ["/usr/local/bin/geckos3"]);
  assertEquals(healthcheck, [...entrypoint, "-healthcheck"]);
  assert(
    /^USER nonroot$/m.test(dockerfile) && /^VOLUME \/data$/m.test(dockerfile) &&
      /^EXPOSE 9000$/m.test(dockerfile),
  );
  // The compile flags in the Dockerfile are the start task's, and it includes the worker module
  // (as deno.json's compile task does).
  const compileTask = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks.compile;
  for (const flag of runtimeFlags()) {
    assert(dockerfile.includes(flag), flag);
    assert(compileTask.includes(flag), flag);
  }
  for (const module of COMPILE_INCLUDES) {
    assert(dockerfile.includes(`--include ${module}`), module);
    assert(compileTask.includes(`--include ${module}`), module);
  }

  // Run the entrypoint with the image's environment (data dir and port moved to free ones here).
  const dataDir = await Deno.makeTempDir();
  const port = await freePort();
  const runEnv = { ...env, GECKOS3_DATA_DIR: dataDir, GECKOS3_LISTEN: `:${port}` };
  const server = await spawnServer([`-listen=127.0.0.1:${port}`], runEnv);
  try {
    const hc = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`, ...healthcheck.slice(1)],
      env: runEnv,
    }).output();
    assertEquals(hc.code, 0);
    const r = await fetch(`http://127.0.0.1:${port}/docker-bucket`, { method: "PUT" });
    await r.body?.cancel();
    assertEquals(r.status, 403); // auth is on by default in the image
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("docker-compose.yml only sets environment variables geckos3 knows", async () => {
  const compose = await Deno.readTextFile(`${ROOT}docker-compose.yml`);
  const known = new Set(OPTIONS.map((o) => o.env));
  const used = [...compose.matchAll(/^\s+(GECKOS3_[A-Z_]+):/gm)].map((m) => m[1]);
  assert(used.length >= 4);
  for (const name of used) assert(known.has(name), name);
  assert(/geckos3-data:\/data/.test(compose));
});

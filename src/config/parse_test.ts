import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { AUTO_WORKERS, ConfigError, parseCommand, parseDuration, parseListen } from "./mod.ts";
import { poolSize, reusePortAllowed } from "../front/workers.ts";

const serve = (args: string[], env: Record<string, string> = {}) => {
  const c = parseCommand(args, env);
  if (c.kind !== "serve") throw new Error(`expected serve, got ${c.kind}`);
  return c.config;
};

Deno.test("defaults match the original", () => {
  const c = serve([]);
  assertEquals(
    [
      c.dataDir,
      c.listen,
      c.hostname,
      c.port,
      c.accessKey,
      c.secretKey,
      c.auth,
      c.metadata,
      c.fsync,
    ],
    ["./data", ":9000", "0.0.0.0", 9000, "geckoadmin", "geckoadmin", true, true, false],
  );
  assertEquals(c.multipartTtlSeconds, 86400);
  assertEquals(Object.isFrozen(c), true);
});

Deno.test("flag forms: -f v, -f=v, --f v, --f=v, bare booleans", () => {
  assertEquals(serve(["-data-dir", "/a"]).dataDir, "/a");
  assertEquals(serve(["-data-dir=/b"]).dataDir, "/b");
  assertEquals(serve(["--data-dir", "/c"]).dataDir, "/c");
  assertEquals(serve(["--data-dir=/d"]).dataDir, "/d");
  assertEquals(serve(["-fsync"]).fsync, true);
  assertEquals(serve(["-auth=false"]).auth, false);
  assertEquals(serve(["--metadata=0"]).metadata, false);
  assertEquals(serve(["-listen=127.0.0.1:8080"]).port, 8080);
  assertEquals(serve(["-listen", "[::1]:0"]).hostname, "::1");
});

Deno.test("flag beats env beats default", () => {
  const env = {
    GECKOS3_DATA_DIR: "/env",
    GECKOS3_LISTEN: ":7000",
    GECKOS3_ACCESS_KEY: "ek",
    GECKOS3_SECRET_KEY: "es",
    GECKOS3_AUTH_ENABLED: "false",
    GECKOS3_METADATA: "false",
    GECKOS3_FSYNC: "true",
  };
  const fromEnv = serve([], env);
  assertEquals(
    [
      fromEnv.dataDir,
      fromEnv.port,
      fromEnv.accessKey,
      fromEnv.secretKey,
      fromEnv.auth,
      fromEnv.metadata,
      fromEnv.fsync,
    ],
    ["/env", 7000, "ek", "es", false, false, true],
  );
  const fromFlags = serve(["-data-dir=/flag", "-listen=:7001", "-auth=true", "-fsync=false"], env);
  assertEquals([fromFlags.dataDir, fromFlags.port, fromFlags.auth, fromFlags.fsync], [
    "/flag",
    7001,
    true,
    false,
  ]);
});

Deno.test("bad values are ConfigErrors", () => {
  for (
    const args of [
      ["-auth=maybe"],
      ["-listen=nonsense"],
      ["-listen=:99999"],
      ["-unknown-flag"],
      ["-data-dir"],
      ["stray"],
      ["-multipart-ttl=soon"],
      ["-access-key="],
      ["-workers=257"],
      ["-workers=-1"],
      ["-etag=sha1"],
    ]
  ) {
    assertEquals(
      assertThrows(() => parseCommand(args, {})) instanceof ConfigError,
      true,
      args.join(" "),
    );
  }
  assertEquals(
    assertThrows(() => parseCommand([], { GECKOS3_FSYNC: "yes please" })) instanceof ConfigError,
    true,
  );
});

Deno.test("version, help and healthcheck commands", () => {
  assertEquals(parseCommand(["-version"], {}).kind, "version");
  assertEquals(parseCommand(["--version"], {}).kind, "version");
  assertEquals(parseCommand(["-h"], {}).kind, "help");
  assertEquals(parseCommand(["--help"], {}).kind, "help");
  assertEquals(parseCommand(["-healthcheck", "-listen=:9100"], {}).kind, "healthcheck");
});

Deno.test("durations and listen addresses", () => {
  assertEquals(parseDuration("24h"), 86400);
  assertEquals(parseDuration("1h30m"), 5400);
  assertEquals(parseDuration("90"), 90);
  assertEquals(parseDuration("500ms"), 0.5);
  assertEquals(parseListen(":9000"), { hostname: "0.0.0.0", port: 9000 });
  assertEquals(parseListen("localhost:1"), { hostname: "localhost", port: 1 });
});

Deno.test("-workers: auto by default (one per core up to two), 0 means one per core, several only where the kernel balances", () => {
  assertEquals(serve([]).workers, "auto");
  assertEquals(serve([], { GECKOS3_WORKERS: "3" }).workers, 3);
  // Several only on Linux, and only where Deno allows SO_REUSEPORT (the test task asks for it).
  const linux = Deno.build.os === "linux" && reusePortAllowed();
  const cores = navigator.hardwareConcurrency;
  assertEquals(poolSize(serve(["-workers=0"])), linux ? cores : 1);
  assertEquals(poolSize(serve(["-workers=4"])), linux ? 4 : 1);
  assertEquals(poolSize(serve(["-workers=1"])), 1);
  assertEquals(poolSize(serve([])), linux ? Math.min(cores, AUTO_WORKERS) : 1);
  assertEquals(poolSize(serve(["-workers=auto"])), poolSize(serve([])));
});

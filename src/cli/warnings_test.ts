import { isLoopback, startupWarnings } from "./warnings.ts";
import { makeConfig } from "../config/mod.ts";
import { assert, assertEquals } from "../../tests/support/assert.ts";

Deno.test("isLoopback tells this machine's addresses from the others", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) assert(isLoopback(h), h);
  for (const h of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "128.0.0.1"]) {
    assert(!isLoopback(h), h);
  }
});

Deno.test("start-up warnings: default keys, auth off, and auth off beyond loopback", () => {
  assertEquals(startupWarnings(makeConfig({ hostname: "0.0.0.0" })), [
    "using the default credentials geckoadmin/geckoadmin: set -access-key/-secret-key",
  ]);
  assertEquals(startupWarnings(makeConfig({ accessKey: "a", secretKey: "b" })), []);
  const local = startupWarnings(makeConfig({ auth: false, hostname: "127.0.0.1" }));
  assertEquals(local.length, 1);
  assert(local[0].startsWith("authentication is OFF"));
  const exposed = startupWarnings(
    makeConfig({ auth: false, hostname: "0.0.0.0", listen: ":9000" }),
  );
  assertEquals(exposed.length, 2);
  assert(exposed[1].includes("listens beyond loopback (:9000)"), exposed[1]);
});

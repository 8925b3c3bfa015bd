/** The front as a function: requests answered by createHandler without a socket or a port. */
import { assertEquals } from "../../tests/support/assert.ts";
import { createAuthenticator, UserDirectory } from "../auth/mod.ts";
import { makeConfig } from "../config/mod.ts";
import { Logger } from "../log.ts";
import { FsStorage } from "../storage/mod.ts";
import { RequestActivity } from "./connection_guard.ts";
import { CorsPolicy } from "./cors.ts";
import { AccessControl } from "./access/control.ts";
import { createHandler } from "./handler.ts";
import { Metrics } from "./metrics.ts";
import { Notifier } from "../s3/events.ts";

Deno.test("createHandler answers health, S3 operations and errors without a socket", async () => {
  const dataDir = await Deno.makeTempDir();
  const config = makeConfig({ dataDir, auth: false });
  const storage = new FsStorage({ dataDir, metadata: true, fsync: false });
  await storage.init();
  try {
    const users = new UserDirectory(config);
    const handle = createHandler({
      config,
      storage,
      authenticator: createAuthenticator(config),
      metrics: new Metrics(),
      peers: null,
      cors: new CorsPolicy(storage, false),
      access: new AccessControl(storage, users, {
        enabled: false,
        secure: false,
      }),
      activity: new RequestActivity(),
      log: new Logger(true),
      maxRequests: 0,
      notifier: new Notifier(storage, {
        targets: [],
        region: config.region,
        log: new Logger(true),
        count: () => {},
      }),
      users,
      usersFile: null,
      startedAt: Date.now(),
    });
    const peer = { remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 } };
    const call = (method: string, path: string, body?: string) =>
      handle(new Request(`http://127.0.0.1${path}`, { method, body }), peer);
    assertEquals(await (await call("GET", "/health")).text(), "OK");
    assertEquals((await call("PUT", "/bkt")).status, 200);
    const put = await call("PUT", "/bkt/hello.txt", "hello");
    assertEquals(put.headers.get("etag"), '"5d41402abc4b2a76b9719d911017c592"');
    const got = await call("GET", "/bkt/hello.txt");
    assertEquals([got.status, await got.text()], [200, "hello"]);
    const missing = await call("GET", "/bkt/nope");
    assertEquals(missing.status, 404);
    assertEquals((await missing.text()).includes("<Code>NoSuchKey</Code>"), true);
    assertEquals(missing.headers.get("x-amz-request-id")?.length, 16);
    // The file is where the request put it: a plain file holding exactly the bytes.
    assertEquals(await Deno.readTextFile(`${dataDir}/bkt/hello.txt`), "hello");
  } finally {
    await storage.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

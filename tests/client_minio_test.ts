/** minio-js (npm:minio) against a geckos3 process. */
import * as Minio from "./deps/minio.ts";
import { withClientServer } from "./support/clients.ts";
import { assert, assertEquals } from "./support/assert.ts";

Deno.test({
  name: "minio-js: putObject, getObject, statObject, listObjectsV2, presigned GET, removeObject",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await withClientServer(async (c) => {
    const mc = new Minio.Client({
      endPoint: "127.0.0.1",
      port: c.port,
      useSSL: false,
      accessKey: "geckoadmin",
      secretKey: "geckoadmin",
      region: "us-east-1",
      pathStyle: true,
    });
    await mc.makeBucket("minio-bucket", "us-east-1");
    assert(await mc.bucketExists("minio-bucket"));
    const body = "hello from minio-js ".repeat(1000);
    await mc.putObject("minio-bucket", "dir/hello.txt", body, undefined, {
      "Content-Type": "text/plain",
      "X-Amz-Meta-Owner": "bob",
    });
    const stat = await mc.statObject("minio-bucket", "dir/hello.txt");
    assertEquals(stat.size, body.length);
    assertEquals(stat.metaData["content-type"], "text/plain");
    assertEquals(stat.metaData["owner"], "bob");
    const stream = await mc.getObject("minio-bucket", "dir/hello.txt");
    let got = "";
    for await (const chunk of stream) got += new TextDecoder().decode(chunk as Uint8Array);
    assertEquals(got, body);
    for (let i = 0; i < 5; i++) await mc.putObject("minio-bucket", `list/${i}`, `v${i}`);
    const names: string[] = [];
    for await (const o of mc.listObjectsV2("minio-bucket", "", true)) {
      names.push((o as { name: string }).name);
    }
    assertEquals(names, ["dir/hello.txt", "list/0", "list/1", "list/2", "list/3", "list/4"]);
    const top: string[] = [];
    for await (const o of mc.listObjectsV2("minio-bucket", "", false)) {
      top.push((o as { prefix?: string }).prefix ?? "");
    }
    assertEquals(top, ["dir/", "list/"]);
    const url = await mc.presignedGetObject("minio-bucket", "list/3", 300);
    assertEquals(await (await fetch(url)).text(), "v3");
    await mc.removeObject("minio-bucket", "list/3");
    const res = await fetch(url);
    assertEquals(res.status, 404);
    await res.body?.cancel();
  });
});

/**
 * /metrics tells bucket names only to scrapers that prove who they are (the
 * metrics token, or a signed request), and however many scrape at once the
 * store is walked once.
 */
import { CreateBucketCommand, PutObjectCommand } from "./deps/aws_sdk.ts";
import { raw, serverTest } from "./support/server.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { sign } from "./support/sign.ts";

serverTest("bucket names in /metrics only with the token or a signature", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: "private-name" }));
  await t.s3.send(new PutObjectCommand({ Bucket: "private-name", Key: "k", Body: "12345" }));
  const anonymous = await raw(`${t.url}/metrics`);
  assertEquals(anonymous.status, 200);
  assert(!anonymous.text.includes("private-name"), anonymous.text);
  assert(anonymous.text.includes("geckos3_stored_objects 1\n"), anonymous.text);
  assert(anonymous.text.includes("geckos3_stored_bytes 5\n"));
  const wrong = await raw(`${t.url}/metrics`, { headers: { authorization: "Bearer nope" } });
  assert(!wrong.text.includes("private-name"));
  const token = await raw(`${t.url}/metrics`, { headers: { authorization: "Bearer s3cret" } });
  assert(token.text.includes('geckos3_bucket_objects{bucket="private-name"} 1'), token.text);
  const s = sign("GET", `${t.url}/metrics`);
  const signed = await raw(s.url, { headers: s.headers });
  assert(signed.text.includes('geckos3_bucket_bytes{bucket="private-name"} 5'), signed.text);
}, { auth: true, metricsToken: "s3cret" });

serverTest("concurrent scrapes share one walk of the store", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: "walked" }));
  for (let i = 0; i < 200; i++) Deno.writeTextFileSync(`${t.dataDir}/walked/f${i}`, "x");
  const scrapes = await Promise.all(Array.from({ length: 20 }, () => raw(`${t.url}/metrics`)));
  for (const m of scrapes) assert(m.text.includes('geckos3_bucket_objects{bucket="walked"} 200'));
  const after = await raw(`${t.url}/metrics`);
  assert(after.text.includes("geckos3_usage_walks_total 1\n"), after.text);
});

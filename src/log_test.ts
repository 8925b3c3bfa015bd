import { assertEquals } from "../tests/support/assert.ts";
import { isoNow, redactUri } from "./log.ts";

Deno.test("isoNow formats as Date.toISOString, across milliseconds, seconds and years", () => {
  const base = Date.UTC(2026, 11, 2, 3, 4, 5);
  const times = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000].map((d) => base + d);
  times.push(Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1), 0, 86_399_999);
  times.push(Date.UTC(12_345, 0, 1, 0, 0, 0, 7)); // a six-digit year keeps its own form
  for (const t of [...times, ...times.slice().reverse()]) {
    assertEquals(isoNow(t), new Date(t).toISOString(), String(t));
  }
  const now = isoNow();
  assertEquals(now, new Date(Date.parse(now)).toISOString());
});

Deno.test("redactUri hides signatures and credentials however their names are encoded", () => {
  assertEquals(
    redactUri("/b/k?X-Amz-Signature=abc&X-Amz-Credential=AKID%2F2026&x=1"),
    "/b/k?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&x=1",
  );
  assertEquals(redactUri("/b/k?X-Amz-Signatur%65=abc"), "/b/k?X-Amz-Signatur%65=REDACTED");
  assertEquals(
    redactUri("/b/k?%53ignature=abc&AWSAccessKeyId=K"),
    "/b/k?%53ignature=REDACTED&AWSAccessKeyId=REDACTED",
  );
  assertEquals(redactUri("/b/k?x-amz-security-token=t"), "/b/k?x-amz-security-token=REDACTED");
  assertEquals(redactUri("/b/a=b/k?list-type=2"), "/b/a=b/k?list-type=2");
  assertEquals(redactUri("/b/k?%zz=1"), "/b/k?%zz=1");
});

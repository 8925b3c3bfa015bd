import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import {
  decodeSegment,
  EMPTY_SEGMENT,
  encodeSegment,
  isValidBucketName,
  keyToSegments,
  type Platform,
  segmentsToKey,
  SELF_OBJECT,
} from "./keys.ts";
import { S3Error } from "../errors.ts";

const TRICKY_KEYS = [
  "plain.txt",
  "photos/",
  "photos/2024/cat.jpg",
  "a//b",
  "//",
  "/leading",
  "trailing/",
  ".",
  "..",
  "./x",
  "../x",
  "a/./b",
  "a/../b",
  "...",
  "%",
  "%25",
  "%obj",
  "a/%obj",
  "%2E",
  "100% sure",
  "space name",
  "plus+sign",
  "amp&and",
  "ünïcödé/日本語/😀",
  "back\\slash",
  "nul\u0000byte",
  "ctrl\u0001\u001f",
  'colon:star*?"<>|pipe',
  "CON",
  "con.txt",
  "nul",
  "COM1",
  "LPT9.log",
  "trailing dot.",
  "trailing space ",
  "a/b.",
  "\uE000private\uFFFD",
];

for (const platform of ["posix", "windows"] as Platform[]) {
  Deno.test(`every tricky key round-trips through the ${platform} mapping`, () => {
    for (const key of TRICKY_KEYS) {
      const segments = keyToSegments(key, platform);
      assertEquals(segmentsToKey(segments), key, `key ${JSON.stringify(key)}`);
    }
  });

  Deno.test(`${platform} mapping never produces a reserved or unsafe name`, () => {
    for (const key of TRICKY_KEYS) {
      for (const name of keyToSegments(key, platform)) {
        assertEquals(name === SELF_OBJECT, false);
        if (name !== EMPTY_SEGMENT) assertEquals(name === "." || name === "..", false, name);
        assertEquals(name.includes("/"), false);
        assertEquals(name.includes("\0"), false);
        if (platform === "windows") {
          // deno-lint-ignore no-control-regex
          assertEquals(/[<>:"\\|?*\u0000-\u001f]/.test(name), false, name);
          assertEquals(/[. ]$/.test(name), false, name);
          assertEquals(/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(name), false, name);
        }
      }
    }
  });

  Deno.test(`distinct keys never share a path on ${platform}`, () => {
    const seen = new Map<string, string>();
    for (const key of TRICKY_KEYS) {
      const path = keyToSegments(key, platform).join("/");
      assertEquals(seen.get(path) ?? key, key, `${key} aliases ${seen.get(path)}`);
      seen.set(path, key);
    }
  });
}

Deno.test("posix mapping keeps ordinary names readable", () => {
  assertEquals(keyToSegments("photos/2024/cat 1.jpg", "posix"), ["photos", "2024", "cat 1.jpg"]);
  assertEquals(encodeSegment("a:b", "posix"), "a:b");
  assertEquals(encodeSegment("a:b", "windows"), "a%3Ab");
  assertEquals(encodeSegment("100%", "posix"), "100%25");
});

Deno.test("reserved and undecodable names are not keys", () => {
  assertEquals(decodeSegment(SELF_OBJECT), null);
  assertEquals(decodeSegment("%zz"), null);
  assertEquals(decodeSegment("%2e"), null); // lower-case escapes are never produced
  assertEquals(decodeSegment("%FF"), null); // not UTF-8
  assertEquals(decodeSegment(EMPTY_SEGMENT), "");
});

Deno.test("keys too long for the filesystem get KeyTooLongError", () => {
  const err = assertThrows(() => keyToSegments("x".repeat(256))) as S3Error;
  assertEquals(err.code, "KeyTooLongError");
  keyToSegments("x".repeat(255));
  assertEquals(
    (assertThrows(() => keyToSegments("a/".repeat(513))) as S3Error).code,
    "KeyTooLongError",
  );
  // 100 percent signs escape to 300 bytes: too long as a file name.
  assertEquals(
    (assertThrows(() => keyToSegments("%".repeat(100))) as S3Error).code,
    "KeyTooLongError",
  );
});

Deno.test("bucket name rules", () => {
  for (const ok of ["abc", "my-bucket", "my.bucket.1", "a".repeat(63), "123"]) {
    assertEquals(isValidBucketName(ok), true, ok);
  }
  for (
    const bad of [
      "ab",
      "a".repeat(64),
      "Upper",
      "-lead",
      "trail-",
      ".lead",
      "trail.",
      "dou..ble",
      "under_score",
      "192.168.1.1",
      ".geckos3",
      "sp ace",
    ]
  ) {
    assertEquals(isValidBucketName(bad), false, bad);
  }
});

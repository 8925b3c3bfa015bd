import { assertEquals } from "../../tests/support/assert.ts";
import { pseudoRandomBytes } from "../../tests/support/bytes.ts";
import { awsUriEncode, awsUriEncodeBytes, signaturesEqual } from "./sigv4.ts";

/** The encoding AWS documents, one UTF-8 byte at a time: the oracle for the fast path. */
function reference(s: string, keepSlash: boolean): string {
  let out = "";
  for (const ch of s) {
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === "/")) out += ch;
    else {
      for (const b of new TextEncoder().encode(ch)) {
        out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
      }
    }
  }
  return out;
}

Deno.test("URI encoding matches AWS's byte-by-byte rule on random strings", () => {
  const alphabet = [
    ..."azAZ09-._~/%+=&?#!*'() \t\n:@;,$[]{}|\\^`\"<>",
    "é",
    "ß",
    "€",
    "日本",
    "😀",
    "\u0000",
    "\u007f",
    "\ud800", // a lone high surrogate
    "\udc00", // a lone low surrogate
  ];
  const random = pseudoRandomBytes(20_000 * 12, 7);
  let next = 0;
  for (let i = 0; i < 20_000; i++) {
    let s = "";
    const length = random[next++] % 12;
    for (let j = 0; j < length; j++) s += alphabet[random[next++] % alphabet.length];
    for (const keepSlash of [false, true]) {
      assertEquals(awsUriEncode(s, keepSlash), reference(s, keepSlash), JSON.stringify(s));
      assertEquals(awsUriEncodeBytes(s, keepSlash), reference(s, keepSlash), JSON.stringify(s));
    }
  }
  assertEquals(awsUriEncode("a b/c*d", true), "a%20b/c%2Ad");
  assertEquals(awsUriEncode("a b/c*d", false), "a%20b%2Fc%2Ad");
});

Deno.test("signatures compare equal only when identical", () => {
  const sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  assertEquals(signaturesEqual(sig, sig), true);
  assertEquals(signaturesEqual(sig, sig.slice(0, -1) + "0"), false);
  assertEquals(signaturesEqual(sig, "0" + sig.slice(1)), false);
  assertEquals(signaturesEqual(sig, sig.slice(1)), false);
  assertEquals(signaturesEqual("", ""), true);
});

import { assertEquals } from "../../tests/support/assert.ts";
import { pseudoRandomBytes } from "../../tests/support/bytes.ts";
import { createHmac } from "node:crypto";
import { awsUriEncode, awsUriEncodeBytes, hmacHex, signaturesEqual } from "./sigv4.ts";

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

Deno.test("hmacHex: RFC 4231 cases 1, 2 and 6, and createHmac for keys and messages of many sizes", () => {
  assertEquals(
    hmacHex(new Uint8Array(20).fill(0x0b), "Hi There"),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  );
  assertEquals(
    hmacHex(new TextEncoder().encode("Jefe"), "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assertEquals(
    hmacHex(
      new Uint8Array(131).fill(0xaa),
      "Test Using Larger Than Block-Size Key - Hash Key First",
    ),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  );
  for (const keySize of [0, 1, 32, 63, 64, 65, 200]) {
    const key = pseudoRandomBytes(keySize, keySize + 1);
    for (const message of ["", "a", "é€😀\n", "x".repeat(55), "y".repeat(64), "z".repeat(300)]) {
      assertEquals(
        hmacHex(key, message),
        createHmac("sha256", key).update(message).digest("hex"),
        `${keySize} ${message.length}`,
      );
    }
  }
});

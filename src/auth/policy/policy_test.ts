/** Policy documents: S3's refusals with its messages, and evaluation as IAM defines it. */
import { assert, assertEquals, assertThrows } from "../../../tests/support/assert.ts";
import {
  type AccessRequest,
  evaluate,
  inBlock,
  isPublic,
  parseCidr,
  parseIp,
  parsePolicy,
  type Policy,
  PolicyError,
  type Principal,
} from "./mod.ts";

const bucketPolicy = (statement: unknown) =>
  parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statement }), {
    kind: "bucket",
    bucket: "media",
  });

function refused(text: string, message: string, kind: "bucket" | "identity" = "bucket"): void {
  const e = assertThrows(() => parsePolicy(text, { kind, bucket: "media" }), message);
  assert(e instanceof PolicyError && e.message.includes(message), `${message}: got ${e}`);
}

const statement = (extra: Record<string, unknown>) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::media/*",
      ...extra,
    }],
  });

Deno.test("a policy S3 refuses is refused with S3's message", () => {
  refused(" [1]", "Policies must be valid JSON and the first byte must be '{'");
  refused("{not json", "This policy contains invalid Json");
  refused('{"Version": "2013-01-01", "Statement": []}', "valid version string");
  refused('{"Version": "2012-10-17"}', "Missing required field Statement");
  refused('{"Version": "2012-10-17", "Statement": []}', "Statement is empty");
  refused(statement({ Action: "s3:GetObjekt" }), "Policy has invalid action");
  refused(statement({ Action: "iam:CreateUser" }), "Policy has invalid action");
  refused(statement({ Resource: "arn:aws:s3:::other/*" }), "Policy has invalid resource");
  refused(statement({ Resource: "*" }), "Policy has invalid resource");
  refused(statement({ Principal: { AWS: "alice" } }), "Invalid principal in policy");
  refused(statement({ Principal: undefined }), "Missing required field Principal");
  refused(statement({ Effect: "Maybe" }), "Invalid effect: Maybe");
  refused(statement({ Resource: "arn:aws:s3:::media" }), "Action does not apply to any resource");
  refused(
    statement({ Condition: { StringEquals: { "s3:nonsense": "x" } } }),
    "Policy has an invalid condition key",
  );
  refused(
    statement({ Condition: { StringSortOf: { "s3:prefix": "x" } } }),
    "Invalid Condition type : StringSortOf",
  );
  refused(
    statement({ Sid: "a" }).replace(
      "[{",
      '[{"Sid":"a","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::media"},{',
    ),
    "must be unique",
  );
  // A user's policy names no principal, and may name any bucket.
  refused(statement({}), "should not specify a principal", "identity");
  parsePolicy(
    '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::x/*"}}',
    { kind: "identity" },
  );
});

const alice: Principal = { type: "user", name: "alice" };
const anyone: Principal = { type: "anonymous" };

function ask(
  policy: Policy,
  principal: Principal,
  action: string,
  resource: string,
  values: Record<string, string> = {},
): string {
  const request: AccessRequest = {
    principal,
    action,
    resource,
    values: (
      k,
    ) => (k in values
      ? [values[k]]
      : principal.type === "user" && k === "aws:username"
      ? [principal.name]
      : undefined),
  };
  return evaluate(policy, request);
}

Deno.test("an explicit Deny beats any Allow; nothing said is no decision", () => {
  const p = bucketPolicy([
    { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::media/*" },
    {
      Effect: "Deny",
      Principal: { AWS: "arn:aws:iam::000000000000:user/alice" },
      Action: ["s3:Delete*"],
      Resource: "arn:aws:s3:::media/*",
    },
  ]);
  assertEquals(ask(p, alice, "s3:getobject", "arn:aws:s3:::media/a"), "allow");
  assertEquals(ask(p, alice, "s3:deleteobject", "arn:aws:s3:::media/a"), "deny");
  assertEquals(ask(p, anyone, "s3:deleteobject", "arn:aws:s3:::media/a"), "allow");
  assertEquals(ask(p, alice, "s3:listbucket", "arn:aws:s3:::media"), "none");
});

Deno.test("NotAction, NotPrincipal and NotResource invert their match", () => {
  const p = bucketPolicy([{
    Effect: "Deny",
    NotPrincipal: { AWS: "arn:aws:iam::000000000000:user/alice" },
    NotAction: "s3:GetObject",
    NotResource: "arn:aws:s3:::media/public/*",
  }]);
  assertEquals(ask(p, anyone, "s3:putobject", "arn:aws:s3:::media/x"), "deny");
  assertEquals(ask(p, anyone, "s3:getobject", "arn:aws:s3:::media/x"), "none");
  assertEquals(ask(p, anyone, "s3:putobject", "arn:aws:s3:::media/public/x"), "none");
  assertEquals(ask(p, alice, "s3:putobject", "arn:aws:s3:::media/x"), "none");
});

Deno.test("conditions: prefix, source address, transport, numbers, dates, Null and IfExists", () => {
  const p = bucketPolicy([
    {
      Effect: "Allow",
      Principal: "*",
      Action: "s3:ListBucket",
      Resource: "arn:aws:s3:::media",
      Condition: {
        StringLike: { "s3:prefix": ["home/${aws:username}/*", "shared/*"] },
        NumericLessThanEquals: { "s3:max-keys": "100" },
      },
    },
    {
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: "arn:aws:s3:::media/*",
      Condition: { NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8", "::1/128"] } },
    },
    {
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::media/*",
      Condition: {
        Bool: { "aws:SecureTransport": "false" },
        DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" },
        Null: { "s3:x-amz-acl": "true" },
        StringEqualsIfExists: { "aws:Referer": "https://example.com/" },
      },
    },
  ]);
  const list = (values: Record<string, string>) =>
    ask(p, alice, "s3:listbucket", "arn:aws:s3:::media", values);
  assertEquals(list({ "s3:prefix": "home/alice/x", "s3:max-keys": "10" }), "allow");
  assertEquals(list({ "s3:prefix": "home/bob/x", "s3:max-keys": "10" }), "none");
  assertEquals(list({ "s3:prefix": "shared/", "s3:max-keys": "1000" }), "none");
  assertEquals(list({ "s3:max-keys": "10" }), "none"); // no prefix: StringLike fails
  const get = (values: Record<string, string>) =>
    ask(p, anyone, "s3:getobject", "arn:aws:s3:::media/k", {
      "aws:securetransport": "false",
      "aws:currenttime": new Date().toISOString(),
      ...values,
    });
  assertEquals(get({ "aws:sourceip": "10.1.2.3" }), "allow");
  assertEquals(get({ "aws:sourceip": "::1" }), "allow");
  assertEquals(get({ "aws:sourceip": "192.168.1.1" }), "deny");
  assertEquals(get({ "aws:sourceip": "10.1.2.3", "s3:x-amz-acl": "private" }), "none");
  assertEquals(get({ "aws:sourceip": "10.1.2.3", "aws:referer": "https://evil/" }), "none");
  assertEquals(get({ "aws:sourceip": "10.1.2.3", "aws:securetransport": "true" }), "none");
});

Deno.test("a policy is public when it grants to everyone without a fixed-caller condition", () => {
  const grant = (extra: Record<string, unknown>) =>
    bucketPolicy([{
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::media/*",
      ...extra,
    }]);
  assertEquals(isPublic(grant({})), true);
  assertEquals(isPublic(grant({ Principal: { AWS: "*" } })), true);
  assertEquals(
    isPublic(grant({ Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })),
    false,
  );
  assertEquals(
    isPublic(grant({ Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } })),
    true,
  );
  assertEquals(
    isPublic(grant({ Principal: { AWS: "arn:aws:iam::000000000000:user/alice" } })),
    false,
  );
  assertEquals(isPublic(grant({ Effect: "Deny" })), false);
});

Deno.test("addresses: IPv4, IPv6 and IPv4-mapped IPv6 in CIDR blocks", () => {
  const inside = (ip: string, cidr: string) => inBlock(parseIp(ip)!, parseCidr(cidr)!);
  assertEquals(inside("127.0.0.1", "127.0.0.0/8"), true);
  assertEquals(inside("128.0.0.1", "127.0.0.0/8"), false);
  assertEquals(inside("::ffff:127.0.0.1", "127.0.0.1/32"), true);
  assertEquals(inside("2001:db8::1", "2001:db8::/32"), true);
  assertEquals(inside("2001:db9::1", "2001:db8::/32"), false);
  assertEquals(inside("1.2.3.4", "0.0.0.0/0"), true);
  assertEquals(parseCidr("300.1.1.1"), null);
  assertEquals(parseCidr("1.2.3.4/33"), null);
  assertEquals(parseIp("1::2::3"), null);
});

/** Small assertion helpers over node:assert (JSR's @std/assert is not reachable here). */
import nodeAssert from "node:assert/strict";

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts a truthy value. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Asserts that `fn` throws, and returns what it threw. */
export function assertThrows(fn: () => unknown, message?: string): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new nodeAssert.AssertionError({ message: message ?? "expected a throw" });
}

/** Asserts that `fn` rejects, and returns the rejection reason. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  message?: string,
): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new nodeAssert.AssertionError({ message: message ?? "expected a rejection" });
}

/** Asserts that an SDK call fails with the given S3 error code (and HTTP status, if given). */
export async function assertS3Error(
  fn: () => Promise<unknown>,
  code: string,
  status?: number,
): Promise<void> {
  const e = await assertRejects(fn, `expected ${code}`) as {
    name?: string;
    Code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  assertEquals(e.Code ?? e.name, code);
  if (status !== undefined) assertEquals(e.$metadata?.httpStatusCode, status);
}

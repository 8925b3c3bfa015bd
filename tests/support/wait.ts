/** Test support: waiting for what a server does in the background. */

/**
 * Polls `check` every `every` ms until it holds; after `ms`, fails with
 * `what` (a function: worded from the state at that moment).
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string | (() => string),
  opts: { ms?: number; every?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.ms ?? 10_000);
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`never: ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, opts.every ?? 50));
  }
}

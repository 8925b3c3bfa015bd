/** Playwright's browser driver, pinned here for the tests only (see aws_sdk.ts for why not in deno.json). */
export { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";

/** Test support: Debian's Chromium, headless, driven by playwright-core. */
import { type Browser, chromium, type Page } from "../deps/playwright.ts";
import { hasCommand } from "./clients.ts";

const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** Starts headless Chromium (with `args` added); fails, naming the package, where it is not installed. */
export async function launchChromium(args: string[] = []): Promise<Browser> {
  const executablePath = CHROMIUM.find((p) => hasCommand(p));
  if (!executablePath) {
    throw new Error(
      'chromium is not installed: install the Debian package "chromium" (.ci/run does)',
    );
  }
  return await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", ...args],
  });
}

/**
 * Opens the console of the server at `url` in `page`, logs in with the test
 * credentials and opens `bucket`; returns the page's uncaught errors so far and to come.
 */
export async function openConsoleBucket(
  page: Page,
  url: string,
  bucket: string,
): Promise<string[]> {
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${url}/_console/`);
  await page.getByLabel("Access key").fill("geckoadmin");
  await page.getByLabel("Secret key").fill("geckoadmin");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("link", { name: bucket }).click();
  return pageErrors;
}

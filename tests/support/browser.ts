/** Test support: Debian's Chromium, headless, driven by playwright-core. */
import { type Browser, chromium } from "../deps/playwright.ts";
import { hasCommand } from "./clients.ts";

const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** Starts headless Chromium; fails, naming the package, where it is not installed. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = CHROMIUM.find((p) => hasCommand(p));
  if (!executablePath) {
    throw new Error(
      'chromium is not installed: install the Debian package "chromium" (.ci/run does)',
    );
  }
  return await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

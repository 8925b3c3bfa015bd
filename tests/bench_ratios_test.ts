import { assertEquals } from "./support/assert.ts";
import { formatRatios, median, ratios } from "../scripts/ratios.ts";

const row = (endpoint: string, scenario: string, opsPerSec: number) => ({
  endpoint,
  scenario,
  opsPerSec,
});
const ours = (name: string) => name.startsWith("geckos3");

Deno.test("ratios: rounds pair up by their suffix, the median decides", () => {
  const list = ratios([
    row("geckos3", "PUT 4 KiB #1", 4000),
    row("s3rver", "PUT 4 KiB #1", 1000),
    row("geckos3", "PUT 4 KiB #2", 3000),
    row("s3rver", "PUT 4 KiB #2", 1500),
    row("geckos3", "PUT 4 KiB #3", 3600),
    row("s3rver", "PUT 4 KiB #3", 1200),
    row("geckos3", "GET 4 KiB #1", 9000),
  ], ours);
  // GET ran on geckos3 alone: nothing to compare.
  assertEquals(list, [{
    scenario: "PUT 4 KiB",
    endpoint: "geckos3",
    versus: "s3rver",
    rounds: [4, 2, 3],
    median: 3,
  }]);
  assertEquals(
    formatRatios(list),
    "PUT 4 KiB  geckos3 / s3rver  4.00 2.00 3.00  median 3.00x",
  );
});

Deno.test("ratios: every geckos3 against every other endpoint; unmatched and failed rounds left out", () => {
  const list = ratios([
    row("geckos3", "PUT 1 GiB x1", 300),
    row("geckos3 x1", "PUT 1 GiB x1", 200),
    row("ceiling + MD5", "PUT 1 GiB x1", 150),
    row("geckos3", "GET 4 KiB #1", 8000),
    row("geckos3", "GET 4 KiB #2", 9000),
    row("s3rver", "GET 4 KiB #2", 1000),
    row("s3rver", "GET 4 KiB #3", 1000),
    row("s3rver", "HEAD 4 KiB", 0),
    row("geckos3", "HEAD 4 KiB", 100),
  ], ours);
  assertEquals(list.map((r) => [r.scenario, r.endpoint, r.versus, r.rounds]), [
    ["PUT 1 GiB x1", "geckos3", "ceiling + MD5", [2]],
    ["PUT 1 GiB x1", "geckos3 x1", "ceiling + MD5", [200 / 150]],
    ["GET 4 KiB", "geckos3", "s3rver", [9]],
  ]);
});

Deno.test("median: odd and even counts", () => {
  assertEquals(median([3, 1, 2]), 2);
  assertEquals(median([4, 1, 3, 2]), 2.5);
});

/**
 * The other client of a stall measurement: sends `GET url` one request after
 * another until its standard input closes, then prints the latencies (ms) as
 * JSON. It runs in a process of its own, so the client it stands beside
 * (reading a large listing) cannot delay its timing.
 *
 *   deno run --allow-net scripts/bench/probe.ts URL
 */
const url = Deno.args[0];
let open = true;
(async () => {
  for await (const _ of Deno.stdin.readable) {
    // nothing is sent; the end of input is the signal
  }
  open = false;
})();
const latencies: number[] = [];
while (open) {
  const t0 = performance.now();
  await (await fetch(url)).arrayBuffer();
  latencies.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 1));
}
console.log(JSON.stringify(latencies));

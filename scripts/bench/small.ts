/** Small objects: a bucket of 1,000 objects, then each operation for the run's duration. */
import { type Bench, pool } from "./context.ts";
import { luaFor, runLoadgen, runWrk } from "./drivers.ts";
import { fmtSize } from "./report.ts";
import { measured } from "./system.ts";
import { loadRow } from "./rows.ts";
import type { Endpoint, Result } from "./types.ts";

/** A bucket of small objects made ready for the small-object scenarios on one endpoint. */
export interface SmallSetup {
  bucket: string;
  bodyFile: string;
  keys: number;
}

/** The small-object operations, in the order they run. */
export const SMALL_OPS = ["PUT", "GET", "HEAD", "STAT", "DELETE", "MIXED"] as const;

/** Creates the bucket and its objects of `size` bytes, then warms the endpoint up with GETs. */
export async function prepareSmall(b: Bench, ep: Endpoint, size: number): Promise<SmallSetup> {
  const bucket = `bench-small-${size}`;
  await b.request("PUT", `${ep.url}/${bucket}`);
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 255);
  const bodyFile = await Deno.makeTempFile();
  await Deno.writeFile(bodyFile, payload);
  const keys = 1000;
  b.progress(`${ep.name}: preparing ${keys} objects of ${size} bytes`);
  await pool([...Array(keys).keys()], 16, async (i) => {
    await (await b.request("PUT", `${ep.url}/${bucket}/obj-${i}`, payload)).body?.cancel();
  });
  await runWrk(b, ep.url, luaFor(b, "GET", ep.url, bucket, keys, bodyFile), 2);
  return { bucket, bodyFile, keys };
}

/** One small-object operation on one endpoint for the full duration; null when it cannot run. */
export async function smallOp(
  b: Bench,
  ep: Endpoint,
  { bucket, bodyFile, keys }: SmallSetup,
  op: typeof SMALL_OPS[number],
  size: number,
): Promise<Result | null> {
  return await measured(b, ep, async () => {
    const r = op === "HEAD"
      ? await runLoadgen(b, ep.url, "HEAD", bucket, keys, size)
      : op === "MIXED"
      ? await runLoadgen(b, ep.url, "GET:45,PUT:15,HEAD:30,DELETE:10", bucket, keys, size)
      : await runWrk(b, ep.url, luaFor(b, op, ep.url, bucket, keys, bodyFile));
    const moved = op === "GET" || op === "PUT" ? size : op === "MIXED" ? size * 0.6 : 0;
    return loadRow(r, moved);
  }, `${op} ${fmtSize(size)}`);
}

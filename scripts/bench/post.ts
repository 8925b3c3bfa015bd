/**
 * The server's peak RSS while one very large file is uploaded with a
 * browser POST form (curl -F, SigV4 policy under --auth): the form parser
 * must stream the file to disk, never hold it. geckos3 only.
 */
import type { Bench } from "./context.ts";
import { curlTimed } from "./drivers.ts";
import { sparseFile } from "./large.ts";
import { fmtSize } from "./report.ts";
import { measured } from "./system.ts";
import type { Endpoint, Result } from "./types.ts";
import { postFormFields } from "../presign.ts";

/** One POST upload of `size` bytes, timed, with the server's peak RSS. */
export async function postMemory(b: Bench, ep: Endpoint, size: number): Promise<Result[]> {
  const bucket = "bench-post";
  await b.request("PUT", `${ep.url}/${bucket}`).catch(() => {});
  const key = "posted.bin";
  const signer = b.signers.get(ep.url);
  const fields = signer ? postFormFields(signer, { bucket, key, maxBytes: size }) : { key };
  const source = await sparseFile(size);
  try {
    const row = await measured(b, ep, async () => {
      const form = Object.entries(fields).flatMap(([k, v]) => ["-F", `${k}=${v}`]);
      const run = await curlTimed([[
        ...form,
        "-F",
        `file=@${source}`,
        "-H",
        "Expect:",
        `${ep.url}/${bucket}`,
      ]]);
      return {
        ops: 1,
        seconds: run.seconds,
        opsPerSec: 1 / run.seconds,
        mbPerSec: size / run.seconds / 1e6,
        p50ms: null,
        p99ms: null,
        errors: run.ok ? 0 : 1,
        loadCpuSec: run.cpu,
      };
    }, `MEMORY POST ${fmtSize(size)} x1`);
    return [row];
  } finally {
    await Deno.remove(source);
    await (await b.request("DELETE", `${ep.url}/${bucket}/${key}`)).body?.cancel();
  }
}

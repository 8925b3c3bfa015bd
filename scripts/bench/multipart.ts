/** A multipart upload of the large file (16 MiB parts, four at a time) and its completion. */
import { type Bench, pool } from "./context.ts";
import { fmtSize } from "./report.ts";
import { measured } from "./system.ts";
import type { Endpoint, Result } from "./types.ts";

/** The multipart scenario: a warm-up upload, then one measured upload and completion. */
export async function multipart(
  b: Bench,
  ep: Endpoint,
  file: string,
  size: number,
): Promise<Result[]> {
  const bucket = "bench-multipart";
  await b.request("PUT", `${ep.url}/${bucket}`).catch(() => {});
  // Warm-up: one whole upload and completion, not measured, then removed.
  await multipartRun(b, ep, `${ep.url}/${bucket}/warm-up.bin`, file, size);
  await (await b.request("DELETE", `${ep.url}/${bucket}/warm-up.bin`)).body?.cancel();
  return await multipartRun(b, ep, `${ep.url}/${bucket}/mpu.bin`, file, size);
}

/** One measured multipart upload (16 MiB parts, 4 at a time) of `file` to `key`, then its completion. */
async function multipartRun(
  b: Bench,
  ep: Endpoint,
  key: string,
  file: string,
  size: number,
): Promise<Result[]> {
  const partSize = 16 * 1024 * 1024;
  const results: Result[] = [];
  let uploadId = "";
  const etags: string[] = [];
  results.push(
    await measured(b, ep, async () => {
      const t0 = performance.now();
      const created = await (await b.request("POST", `${key}?uploads`)).text();
      uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created)![1];
      const parts = Math.ceil(size / partSize);
      const numbers = [...Array(parts).keys()];
      // Read each part with its own handle at its offset, then upload it.
      await pool(numbers, 4, async (i) => {
        const fh = await Deno.open(file);
        await fh.seek(i * partSize, Deno.SeekMode.Start);
        const buf = new Uint8Array(Math.min(partSize, size - i * partSize));
        let off = 0;
        while (off < buf.length) off += (await fh.read(buf.subarray(off))) ?? 0;
        fh.close();
        const r = await b.request(
          "PUT",
          `${key}?partNumber=${i + 1}&uploadId=${encodeURIComponent(uploadId)}`,
          buf,
        );
        etags[i] = r.headers.get("etag")!;
        await r.body?.cancel();
      });
      const seconds = (performance.now() - t0) / 1000;
      return {
        ops: parts,
        seconds,
        opsPerSec: parts / seconds,
        mbPerSec: size / seconds / 1e6,
        p50ms: null,
        p99ms: null,
        errors: 0,
        loadCpuSec: null,
      };
    }, `MULTIPART upload ${fmtSize(size)} (16 MiB parts x4)`),
  );
  results.push(
    await measured(b, ep, async () => {
      const body = `<CompleteMultipartUpload>${
        etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join(
          "",
        )
      }</CompleteMultipartUpload>`;
      const t0 = performance.now();
      await (await b.request("POST", `${key}?uploadId=${encodeURIComponent(uploadId)}`, body))
        .text();
      const seconds = (performance.now() - t0) / 1000;
      return {
        ops: 1,
        seconds,
        opsPerSec: 1 / seconds,
        mbPerSec: size / seconds / 1e6,
        p50ms: null,
        p99ms: null,
        errors: 0,
        loadCpuSec: null,
      };
    }, `MULTIPART complete ${fmtSize(size)}`),
  );
  return results;
}

/**
 * The promotion journal: before an object file becomes a directory (see
 * dirs.ts), a record naming it and where its bytes are held is written to
 * the process's area; a process that finds a dead peer's records finishes
 * those promotions before the peer's area is removed.
 */
import type { Logger } from "../log.ts";
import type { InstanceArea } from "./instance.ts";
import { SEP } from "./paths.ts";
import { removeQuietly } from "./fsutil.ts";

const SUFFIX = ".promote.json";

/** A journaled promotion in progress. */
export interface PromotionJob {
  /** Bucket of the promoted object. */
  bucket: string;
  /** Path segments of the promoted object. */
  segments: string[];
  /** Where the data file's bytes are held during the move. */
  dataHold: string;
  /** Where the sidecar is held during the move. */
  metaHold: string;
}

/** The journal of one process's promotions. */
export class PromotionJournal {
  /** Journals in `area`; failures to replay a dead peer's are reported to `log`. */
  constructor(private readonly area: InstanceArea, private readonly log: Logger) {}

  /** Journals a promotion; call done() when the move finished. */
  async begin(
    target: { bucket: string; segments: string[] },
  ): Promise<PromotionJob & { done(): Promise<void> }> {
    const base = this.area.newPath();
    const job: PromotionJob = { ...target, dataHold: base + ".data", metaHold: base + ".meta" };
    const journal = base + SUFFIX;
    await Deno.writeTextFile(journal, JSON.stringify(job));
    return { ...job, done: () => removeQuietly(journal) };
  }

  /** Finishes, with `finish`, every promotion journaled in a dead process's directory. */
  async replay(deadDir: string, finish: (job: PromotionJob) => Promise<void>): Promise<void> {
    for await (const f of Deno.readDir(deadDir)) {
      if (!f.name.endsWith(SUFFIX)) continue;
      try {
        await finish(JSON.parse(await Deno.readTextFile(deadDir + SEP + f.name)) as PromotionJob);
      } catch (err) {
        this.log.event("error", "promotion recovery failed", { error: String(err) });
      }
    }
  }
}

/** The parts of one filesystem store that its modules share (see fs.ts, which builds them). */
import type { ConfigStamps } from "./config_stamps.ts";
import type { Logger } from "../log.ts";
import type { Background } from "./background.ts";
import type { Directories } from "./dirs.ts";
import type { Layout } from "./layout.ts";
import type { SharedLocks } from "./locks.ts";
import type { LinkCheck } from "./nofollow.ts";
import type { TempArea } from "./temp.ts";
import type { WalkCache } from "./walk.ts";
import type { PlainEtags } from "./plain_etags.ts";

/** One store's state: paths, temp area, locks, directory knowledge and settings. */
export interface Store {
  /** Where everything lives. */
  readonly layout: Layout;
  /** Temp files of this process. */
  readonly temp: TempArea;
  /** Per-key locks, shared with other processes on the data dir. */
  readonly locks: SharedLocks;
  /** Finds links placed in buckets (set up by init()). */
  links: LinkCheck;
  /** Directories known to exist, and making, promoting and pruning them. */
  readonly dirs: Directories;
  /** Cleanup that runs after responses. */
  readonly background: Background;
  /** Listing caches. */
  readonly walkCache: WalkCache;
  /** ETags of small files placed by hand, while they stay the same (listings stat, not read, them). */
  readonly plainEtags: PlainEtags;
  /** Listing caches of the versions trees. */
  readonly versionWalkCache: WalkCache;
  /** Stamps of bucket configurations, for the caches of their parsed forms. */
  readonly configStamps: ConfigStamps;
  /** Where the store reports what went wrong in the background. */
  readonly log: Logger;
  /** Keep metadata sidecars. */
  readonly metadata: boolean;
  /** fsync before acknowledging. */
  readonly fsync: boolean;
}

/**
 * Where everything lives in the data dir: the only module that makes paths.
 *
 *   <root>/<bucket>/<key segments>            objects, plain files (see keys.ts)
 *   <root>/.geckos3/meta/<bucket>/<segments>  metadata sidecars (see sidecar.ts)
 *   <root>/.geckos3/buckets/<bucket>/<name>   bucket configuration documents
 *   <root>/.geckos3/versions/<bucket>/<segments>/%v/   noncurrent versions (see versions.ts)
 *   <root>/.geckos3/multipart/<bucket>/<id>/  upload staging (see uploads.ts)
 *   <root>/.geckos3/completed/<bucket>/<id>   what a completed upload made (for retries)
 *   <root>/.geckos3/tmp/<instance>/           temp files per process (see instance.ts)
 *   <root>/.geckos3/locks/                    cross-process key locks (see locks.ts)
 *   <root>/.geckos3/events/<target>/          queued event notifications (see event_queue.ts)
 *   <root>/.geckos3/state/<name>              background work's progress (the lifecycle scan)
 *
 * A bucket name cannot start with `.`, so no bucket is ever the system directory.
 */
import { VERSIONS_ENTRY } from "./keys.ts";
import { bucketSegment, joinInside, resolve, SEP } from "./paths.ts";

/** Name of the system directory inside the data dir. */
const SYSTEM_DIR = ".geckos3";

/** The paths of one data dir. */
export class Layout {
  /** Absolute data directory. */
  readonly root: string;
  /** `<root>/.geckos3`. */
  readonly systemRoot: string;
  /** Sidecar tree root. */
  readonly metaRoot: string;
  /** Temp area root (one directory per process below). */
  readonly tempRoot: string;
  /** Lock files. */
  readonly locksRoot: string;
  /** Multipart staging root. */
  readonly uploadsRoot: string;
  /** Records of completed uploads. */
  readonly completedRoot: string;
  /** Noncurrent versions and delete markers. */
  readonly versionsRoot: string;
  /** Event notification queues, one directory per target. */
  readonly eventsRoot: string;

  /** The layout of the data dir `dataDir` (resolved against the working directory). */
  constructor(dataDir: string) {
    this.root = resolve(dataDir);
    this.systemRoot = this.root + SEP + SYSTEM_DIR;
    this.metaRoot = this.systemRoot + SEP + "meta";
    this.tempRoot = this.systemRoot + SEP + "tmp";
    this.locksRoot = this.systemRoot + SEP + "locks";
    this.uploadsRoot = this.systemRoot + SEP + "multipart";
    this.completedRoot = this.systemRoot + SEP + "completed";
    this.versionsRoot = this.systemRoot + SEP + "versions";
    this.eventsRoot = this.systemRoot + SEP + "events";
  }

  /** A state document of background work (a checked name). */
  statePath(name: string): string {
    return joinInside(this.systemRoot + SEP + "state", [name]);
  }

  /** The queue directory of an event target (ids are checked names: see notify targets). */
  eventQueueDir(target: string): string {
    return joinInside(this.eventsRoot, [target]);
  }

  /** Directory of a bucket. */
  bucketDir(bucket: string): string {
    return this.root + SEP + bucketSegment(bucket);
  }

  /** A bucket's directory in the sidecar tree. */
  metaDir(bucket: string): string {
    return this.metaRoot + SEP + bucketSegment(bucket);
  }

  /** A bucket's directory of configuration documents. */
  configDir(bucket: string): string {
    return this.systemRoot + SEP + "buckets" + SEP + bucketSegment(bucket);
  }

  /** A bucket configuration document's path. */
  configPath(bucket: string, name: string): string {
    return joinInside(this.configDir(bucket), [name]);
  }

  /** A bucket's directory of uploads. */
  uploadsDir(bucket: string): string {
    return this.uploadsRoot + SEP + bucketSegment(bucket);
  }

  /** A bucket's directory of completed uploads' records. */
  completedDir(bucket: string): string {
    return this.completedRoot + SEP + bucketSegment(bucket);
  }

  /** A bucket's tree of noncurrent versions (it mirrors the bucket's keys). */
  versionsBucketDir(bucket: string): string {
    return this.versionsRoot + SEP + bucketSegment(bucket);
  }

  /** The directory of a key's noncurrent versions, from the key's segments. */
  versionDir(bucket: string, keySegments: readonly string[]): string {
    return joinInside(this.versionsBucketDir(bucket), [...keySegments, VERSIONS_ENTRY]);
  }

  /** Path of a data file from its segments (relative to the bucket). */
  dataPath(bucket: string, segments: readonly string[]): string {
    return joinInside(this.bucketDir(bucket), segments);
  }

  /** Path of a sidecar from its data file's segments. */
  metaPath(bucket: string, segments: readonly string[]): string {
    return joinInside(this.metaDir(bucket), segments);
  }
}

/** The directory holding `path`. */
export function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf(SEP));
}

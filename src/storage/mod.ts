/**
 * The storage layer's public surface: the Storage interface, the types it
 * speaks, the rules of names it enforces, and the filesystem store. Nothing
 * outside `src/storage/` imports any other module of it (tools/layers.ts
 * checks).
 */
export type {
  Body,
  CompletionRules,
  EventQueue,
  ObjectTarget,
  PartCheck,
  PartInput,
  Storage,
  Uploads,
} from "./interface.ts";
export type { DeleteResult } from "./version_ops.ts";
export type { QueueBatch, QueuePosition } from "./event_queue.ts";
export type { VersionEntry, VersionListOptions, VersionPage } from "./version_list.ts";
export type { VersioningState } from "./versioning.ts";
export { NULL_VERSION } from "./version_id.ts";
export { checkVersionId } from "./versions.ts";
export { LOCKED_MESSAGE, type Protection, protectionOf } from "./object_lock.ts";
export type {
  AclGrant,
  BucketInfo,
  BucketUsage,
  ConfigDocument,
  DeleteTarget,
  ListOptions,
  ListPage,
  ObjectAttributes,
  ObjectMeta,
  ObjectReader,
  PartInfo,
  Precondition,
  PutOptions,
  UploadInfo,
} from "./types.ts";
export { STORED_HEADERS } from "./types.ts";
export { DEFAULT_CONTENT_TYPE } from "./sidecar.ts";
export { isValidBucketName, keyToSegments } from "./keys.ts";
export { compareKeys } from "./walk.ts";
export { SMALL_BODY } from "./temp.ts";
export type { Rename } from "./rename.ts";
export { FsStorage, type FsStorageOptions } from "./fs.ts";
export { descriptorInode, listDescriptors } from "./descriptors.ts";
export { ConfigStamps } from "./config_stamps.ts";

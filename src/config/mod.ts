/** Configuration: the Config every layer reads, and how start-up builds it. */
export { AUTO_WORKERS, type Command, type Config, ConfigError } from "./types.ts";
export { OPTIONS } from "./options.ts";
export { helpText, makeConfig, parseCommand, parseDuration, parseListen } from "./parse.ts";
export {
  loadTls,
  makeEphemeralDir,
  readNotifyTargets,
  readSeedFile,
  readUsersFile,
  removeEphemeralDir,
  type SeedFile,
  seedFiles,
  watchFile,
  writeUsersFile,
} from "./files.ts";
export {
  type FileTarget,
  type NotifyTarget,
  parseNotifyTargets,
  targetIdOfArn,
  type WebhookTarget,
} from "./notify_targets.ts";

/**
 * The files the server reads besides the data dir: the users file (at
 * start-up, then again whenever it changes; written by the console's key
 * management), the notification targets and the TLS certificate and key.
 * The only module outside `src/storage/` that touches the filesystem
 * (scripts/layers.ts allows it).
 */
import type { Config } from "./types.ts";

/** Reads the users file (`-credentials-file`) as text; throws an Error naming the file. */
export function readUsersFile(path: string): Promise<string> {
  return readNamed("users file", path);
}

/**
 * Replaces the users file with `text` at once: written beside it, synced,
 * then renamed over it, so a reader (this server's watcher, another
 * process) sees the old file or the new one, never a part. Readable by its
 * owner only: it holds secrets.
 */
export async function writeUsersFile(path: string, text: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const temp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${crypto.randomUUID()}.tmp`;
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
  try {
    const bytes = new TextEncoder().encode(text);
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await file.sync();
  } finally {
    file.close();
  }
  try {
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
}

/** A file's text; an Error saying which `what` could not be read, and why. */
async function readNamed(what: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/**
 * Calls `onChange` with a file's new text whenever it changes (its inode,
 * size or mtime), checking every `intervalMs`. Polling, not inotify: editors
 * and config managers replace files by renaming, which a watch on the old
 * inode misses. Returns the function that stops watching.
 */
export function watchFile(
  path: string,
  onChange: (text: string) => void,
  intervalMs = 1000,
): () => void {
  let last = "";
  let busy = false;
  const stampOf = async () => {
    try {
      const info = await Deno.stat(path);
      return `${info.ino}:${info.size}:${info.mtime?.getTime()}`;
    } catch {
      return "absent";
    }
  };
  stampOf().then((s) => (last = s));
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const stamp = await stampOf();
      if (stamp === last || stamp === "absent") return;
      last = stamp;
      onChange(await Deno.readTextFile(path));
    } catch {
      // Gone between stat and read: the next tick sees what replaced it.
    } finally {
      busy = false;
    }
  }, intervalMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

/**
 * The notification targets document `-notify-targets` gives: the flag's value
 * itself when it is JSON (starts with `{`), else the file it names; "" for none.
 */
export function readNotifyTargets(value: string): Promise<string> {
  if (value === "" || value.trimStart().startsWith("{")) return Promise.resolve(value);
  return readNamed("notify targets file", value);
}

/** The TLS certificate and key (PEM) when TLS is configured, else null. */
export async function loadTls(config: Config): Promise<{ cert: string; key: string } | null> {
  if (!config.tlsCert) return null;
  return {
    cert: await Deno.readTextFile(config.tlsCert),
    key: await Deno.readTextFile(config.tlsKey),
  };
}

/** The seed file (`-seed`) as text; throws an Error naming the file. */
export function readSeedFile(path: string): Promise<string> {
  return readNamed("seed file", path);
}

/** A file of a seed's object directory: its key (path below the directory) and its bytes. */
export interface SeedFile {
  key: string;
  size: number;
  open(): Promise<ReadableStream<Uint8Array>>;
}

/** Every regular file below `dir` (links not followed), keys in `/` form, in sorted order. */
export async function* seedFiles(dir: string, prefix = ""): AsyncGenerator<SeedFile> {
  let entries: Deno.DirEntry[];
  try {
    entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
  } catch (e) {
    throw new Error(`cannot read seed objects directory ${dir}: ${(e as Error).message}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* seedFiles(path, `${prefix}${e.name}/`);
    else if (e.isFile) {
      const { size } = await Deno.stat(path);
      yield {
        key: prefix + e.name,
        size,
        open: async () => (await Deno.open(path)).readable,
      };
    }
  }
}

/** A fresh temporary data dir for `-ephemeral`. */
export function makeEphemeralDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "geckos3-ephemeral-" });
}

/** Removes an `-ephemeral` data dir and everything in it. */
export async function removeEphemeralDir(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

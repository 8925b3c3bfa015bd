/**
 * The layer check: reads the module graph (`deno info --json`) of the
 * program and fails on any import that breaks ARCHITECTURE.md's rules, and
 * on any filesystem call outside the storage layer and the start-up
 * configuration reader.
 *
 *   deno run -A scripts/layers.ts [--root DIR]
 *
 * Exits 0 when the rules hold, 1 with one line per violation otherwise. The
 * test command runs it (tests/layers_test.ts).
 */
import { parseArgs } from "node:util";
import { relative, resolve } from "node:path";

/** The layers, lowest first: a module may import its own layer and those below it. */
export const LAYERS = [
  { name: "base", dirs: ["errors.ts", "log.ts", "version.ts", "checksum/", "config/"] },
  { name: "storage", dirs: ["storage/"] },
  { name: "auth", dirs: ["auth/"] },
  { name: "s3", dirs: ["s3/"] },
  { name: "router", dirs: ["router/"] },
  { name: "front", dirs: ["front/"] },
  { name: "cli", dirs: ["cli/", "../main.ts"] },
] as const;

/** What storage/ may import besides itself: the checksums, the error catalogue, the logger. */
const STORAGE_MAY_IMPORT = ["checksum/", "errors.ts", "log.ts"];
/** The storage layer's public surface: the one module of it others may import. */
const STORAGE_SURFACE = "storage/mod.ts";
/** Where filesystem calls may be: the storage layer and the start-up configuration reader. */
const FS_ALLOWED = ["storage/", "config/files.ts"];
/** A filesystem call of the Deno namespace (sync forms included), or node:fs. */
const FS_CALL =
  /\bDeno\.(open|create|stat|lstat|readDir|readFile|readTextFile|readLink|realPath|writeFile|writeTextFile|mkdir|makeTempDir|makeTempFile|remove|rename|link|symlink|copyFile|truncate|chmod|chown|utime|watchFs)(Sync)?\b|["']node:fs(\/promises)?["']/;

/** One module of the graph: its path relative to `src/` and the local modules it imports. */
export interface GraphModule {
  /** Path relative to src/ (`storage/fs.ts`; `../main.ts` for the entry point). */
  path: string;
  /** Paths (same form) of the local modules it imports. */
  imports: string[];
}

/** One broken rule. */
export interface Violation {
  /** The importing module (or the module holding the call). */
  from: string;
  /** The imported module, or the offending source line. */
  to: string;
  /** Which rule. */
  rule: string;
}

function layerOf(path: string): number {
  return LAYERS.findIndex((l) =>
    l.dirs.some((d) => d.endsWith("/") ? path.startsWith(d) : path === d)
  );
}

const isTest = (path: string) => path.endsWith("_test.ts");
const under = (path: string, prefixes: readonly string[]) =>
  prefixes.some((p) => p.endsWith("/") ? path.startsWith(p) : path === p);

/** The import rules broken by a graph (see ARCHITECTURE.md). */
export function checkImports(modules: readonly GraphModule[]): Violation[] {
  const out: Violation[] = [];
  for (const m of modules) {
    if (isTest(m.path) || m.path.startsWith("../tests/")) continue;
    const from = layerOf(m.path);
    for (const to of m.imports) {
      const add = (rule: string) => out.push({ from: m.path, to, rule });
      if (to.startsWith("../tests/")) {
        add("src/ never imports tests/");
        continue;
      }
      const target = layerOf(to);
      if (from < 0) add("every module of src/ belongs to a layer (ARCHITECTURE.md)");
      else if (target < 0) add("imports a module that belongs to no layer");
      else if (target > from) add(`upward import: ${LAYERS[from].name} -> ${LAYERS[target].name}`);
      if (m.path.startsWith("storage/")) {
        if (!to.startsWith("storage/") && !under(to, STORAGE_MAY_IMPORT)) {
          add("storage/ imports only storage/, checksum/, errors.ts and log.ts");
        }
      } else if (to.startsWith("storage/") && to !== STORAGE_SURFACE) {
        add(`outside storage/, only ${STORAGE_SURFACE} is imported`);
      }
      if (m.path.startsWith("auth/") && (to.startsWith("s3/") || to.startsWith("storage/"))) {
        add("auth/ imports neither s3/ nor storage/");
      }
    }
  }
  return out.concat(cycles(modules));
}

/** Every import cycle, one violation per cycle (Tarjan's strongly connected components). */
export function cycles(modules: readonly GraphModule[]): Violation[] {
  const edges = new Map(modules.map((m) => [m.path, m.imports]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: Violation[] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (edges.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) {
      out.push({ from: component.sort()[0], to: component.join(" <-> "), rule: "import cycle" });
    }
  };
  for (const m of modules) if (!index.has(m.path)) visit(m.path);
  return out;
}

/** Filesystem calls outside storage/ and the configuration reader, in `sources` (path -> text). */
export function checkFilesystemCalls(sources: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [path, text] of sources) {
    if (isTest(path) || under(path, FS_ALLOWED)) continue;
    text.split("\n").forEach((line, i) => {
      if (FS_CALL.test(line)) {
        out.push({
          from: `${path}:${i + 1}`,
          to: line.trim(),
          rule: "filesystem call outside storage/",
        });
      }
    });
  }
  return out;
}

/** The module graph of the program in `root` (main.ts, the worker, and every module of src/). */
export async function readGraph(root: string): Promise<GraphModule[]> {
  const src = resolve(root, "src");
  const files = await sourceFiles(src);
  const seen = new Map<string, GraphModule>();
  const entries = [resolve(root, "main.ts"), ...files.map((f) => resolve(src, f))];
  for (const entry of entries) {
    if (seen.has(toPath(src, entry))) continue;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
    for (const m of info.modules) {
      if (!m.specifier.startsWith("file://") || !m.local) continue;
      const path = toPath(src, m.local);
      if (seen.has(path)) continue;
      const imports = (m.dependencies ?? []).flatMap((d) =>
        [d.code?.specifier, d.type?.specifier].filter((s): s is string =>
          s !== undefined && s.startsWith("file://")
        )
      ).map((s) => toPath(src, new URL(s).pathname));
      seen.set(path, { path, imports: [...new Set(imports)] });
    }
  }
  return [...seen.values()];
}

interface DenoInfo {
  modules: {
    specifier: string;
    local?: string;
    dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
  }[];
}

function toPath(src: string, file: string): string {
  return relative(src, file).replaceAll("\\", "/");
}

/** Every TypeScript module below `dir` (relative paths), tests included. */
async function sourceFiles(dir: string, base = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(resolve(dir, base))) {
    const path = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await sourceFiles(dir, path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Every violation in the program at `root`. */
export async function checkLayers(root: string): Promise<Violation[]> {
  const src = resolve(root, "src");
  const sources = new Map<string, string>();
  for (const f of await sourceFiles(src)) sources.set(f, await Deno.readTextFile(resolve(src, f)));
  return [...checkImports(await readGraph(root)), ...checkFilesystemCalls(sources)];
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { root: { type: "string" } } });
  const root = resolve(values.root ?? new URL("..", import.meta.url).pathname);
  const violations = await checkLayers(root);
  for (const v of violations) console.log(`${v.from} -> ${v.to}: ${v.rule}`);
  if (violations.length > 0) {
    console.log(`${violations.length} violation(s) of the layer rules (see ARCHITECTURE.md)`);
    Deno.exit(1);
  }
  console.log("layers: ok");
}

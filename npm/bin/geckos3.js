#!/usr/bin/env node
// geckos3 from npm: runs the release binary of this platform, which npm installed as one of the
// optional dependencies of this package (the way esbuild ships its binaries). Arguments, the
// terminal, signals and the exit code pass straight through.
"use strict";
const { spawn } = require("node:child_process");
const { constants } = require("node:os");
const path = require("node:path");

const PLATFORMS = {
  "linux x64": "@geckos3/linux-x64",
  "linux arm64": "@geckos3/linux-arm64",
  "darwin x64": "@geckos3/darwin-x64",
  "darwin arm64": "@geckos3/darwin-arm64",
  "win32 x64": "@geckos3/win32-x64",
};

const name = PLATFORMS[`${process.platform} ${process.arch}`];
if (!name) {
  console.error(`geckos3: no release binary for ${process.platform}/${process.arch}`);
  process.exit(1);
}
let dir;
try {
  dir = path.dirname(require.resolve(`${name}/package.json`));
} catch {
  console.error(
    `geckos3: the package ${name} is not installed; install geckos3 again without ` +
      "--no-optional or --omit=optional",
  );
  process.exit(1);
}
const binary = path.join(dir, process.platform === "win32" ? "geckos3.exe" : "geckos3");
const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
const forward = (signal) => child.kill(signal);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, forward);
child.on("error", (e) => {
  console.error(`geckos3: cannot run ${binary}: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : code ?? 1);
});

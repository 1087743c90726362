#!/usr/bin/env node
// Runs the dmqa binary of this machine's platform package (installed by npm
// as an optional dependency chosen by `os`, `cpu` and `libc`). No install
// script, no download: `DMQA_BINARY` may name a binary to run instead.
"use strict";
const { spawnSync } = require("node:child_process");

function platformPackage() {
  const { platform, arch } = process;
  if (platform === "linux") {
    // glibc reports its version; musl (Alpine) does not.
    const report = process.report && process.report.getReport();
    const glibc = report && report.header && report.header.glibcVersionRuntime;
    return `@dmqa/linux-${arch}-${glibc ? "gnu" : "musl"}`;
  }
  return `@dmqa/${platform}-${arch}`;
}

function binary() {
  if (process.env.DMQA_BINARY) return process.env.DMQA_BINARY;
  const pkg = platformPackage();
  const exe = process.platform === "win32" ? "dmqa.exe" : "dmqa";
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    console.error(
      `dmqa: no binary for ${process.platform}-${process.arch}: ${pkg} is not installed.\n` +
        "Reinstall without --no-optional / --omit=optional, or install dmqa with `cargo install --locked dmqa`."
    );
    process.exit(2);
  }
}

const run = spawnSync(binary(), process.argv.slice(2), { stdio: "inherit" });
if (run.error) {
  console.error(`dmqa: ${run.error.message}`);
  process.exit(2);
}
process.exit(run.status === null ? 1 : run.status);

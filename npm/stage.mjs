#!/usr/bin/env node
// Stages the npm packages of a release: `dmqa` (the launcher) and one
// platform package per built binary, each ready for `npm pack` / `npm
// publish`. The version is Cargo.toml's.
//
//   node npm/stage.mjs --out DIR --binary linux-x64-gnu=target/x86_64-unknown-linux-gnu/release/dmqa [--binary …]
import { cpSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// Platform key → npm's os / cpu / libc.
const PLATFORMS = {
  "darwin-arm64": { os: "darwin", cpu: "arm64" },
  "darwin-x64": { os: "darwin", cpu: "x64" },
  "linux-arm64-gnu": { os: "linux", cpu: "arm64", libc: "glibc" },
  "linux-arm64-musl": { os: "linux", cpu: "arm64", libc: "musl" },
  "linux-x64-gnu": { os: "linux", cpu: "x64", libc: "glibc" },
  "linux-x64-musl": { os: "linux", cpu: "x64", libc: "musl" },
  "win32-x64": { os: "win32", cpu: "x64" },
};

const args = process.argv.slice(2);
let out = null;
const binaries = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--out") out = args[++i];
  else if (args[i] === "--binary") binaries.push(args[++i].split(/=(.*)/s, 2));
  else throw new Error(`unknown argument ${args[i]}`);
}
if (!out) throw new Error("--out DIR is required");

const cargo = readFileSync(join(here, "..", "Cargo.toml"), "utf8");
const version = cargo.match(/^version = "([^"]+)"/m)[1];

const launcher = JSON.parse(readFileSync(join(here, "dmqa", "package.json"), "utf8"));
launcher.version = version;
for (const name of Object.keys(launcher.optionalDependencies)) {
  launcher.optionalDependencies[name] = version;
}
mkdirSync(join(out, "dmqa", "bin"), { recursive: true });
cpSync(join(here, "dmqa", "bin", "dmqa.js"), join(out, "dmqa", "bin", "dmqa.js"));
cpSync(join(here, "..", "README.md"), join(out, "dmqa", "README.md"));
writeFileSync(join(out, "dmqa", "package.json"), JSON.stringify(launcher, null, 2) + "\n");

for (const [key, binary] of binaries) {
  const p = PLATFORMS[key];
  if (!p) throw new Error(`unknown platform ${key}: one of ${Object.keys(PLATFORMS).join(", ")}`);
  const name = `@dmqa/${key}`;
  if (!(name in launcher.optionalDependencies)) throw new Error(`${name} is not a dependency of dmqa`);
  const dir = join(out, `dmqa-${key}`);
  const exe = p.os === "win32" ? "dmqa.exe" : "dmqa";
  mkdirSync(join(dir, "bin"), { recursive: true });
  cpSync(binary, join(dir, "bin", exe));
  chmodSync(join(dir, "bin", exe), 0o755);
  const pkg = {
    name,
    version,
    description: `The dmqa binary for ${key}`,
    license: launcher.license,
    os: [p.os],
    cpu: [p.cpu],
    ...(p.libc ? { libc: [p.libc] } : {}),
    files: [`bin/${exe}`],
    preferUnplugged: true,
  };
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
}
console.log(`staged dmqa ${version} and ${binaries.length} platform package(s) in ${out}`);

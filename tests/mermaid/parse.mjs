// Parses every ```mermaid block of the Markdown on stdin with Mermaid
// itself (in jsdom), printing each failure; exits 1 when any fails.
// Run from a folder where `npm install mermaid jsdom` was done.
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");

const markdown = readFileSync(0, "utf8");
const blocks = markdown
  .split(/^```mermaid\n/m)
  .slice(1)
  .map((b) => b.split(/^```$/m)[0]);
let failed = 0;
for (const block of blocks) {
  try {
    await mermaid.parse(block);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${String(e.message || e)}\n${block}`);
  }
}
console.log(`parsed ${blocks.length - failed}/${blocks.length}`);
process.exit(failed || blocks.length === 0 ? 1 : 0);

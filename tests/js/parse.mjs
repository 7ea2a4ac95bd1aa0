// Parse Mermaid sources with the real Mermaid parser (the one GitHub's renderer runs).
// Usage: node parse.mjs FILE...; prints "ok FILE TYPE" per file, or the parse error and exits 1.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["DOMParser", "Element", "HTMLElement", "Node", "navigator"]) {
  if (!(name in globalThis)) globalThis[name] = dom.window[name];
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(readFileSync(file, "utf8"));
    console.log(`ok ${file} ${result.diagramType}`);
  } catch (err) {
    failed = true;
    console.log(`error ${file}: ${String(err && err.message ? err.message : err).split("\n").slice(0, 4).join(" | ")}`);
  }
}
process.exit(failed ? 1 : 0);

// Bundle editor.js and its npm dependencies into the console's static files:
//   src/millstream/web/static/sql-editor.min.js   the minified editor (an IIFE, no exports)
//   src/millstream/web/static/sql-editor.LICENSE  the licence of every package in it
// Run by `make editor` (npm ci, then this); the outputs are committed so that installing
// or testing Millstream never needs Node.
import { build } from "esbuild";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = resolve(here, "../src/millstream/web/static");
const bundle = join(staticDir, "sql-editor.min.js");

const result = await build({
  entryPoints: [join(here, "editor.js")],
  outfile: bundle,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none", // the notices go to sql-editor.LICENSE, in full
  metafile: true,
  logLevel: "warning",
});

// Every package that contributed code to the bundle (after tree-shaking), with its licence.
const output = Object.values(result.metafile.outputs)[0];
const packages = new Map();
for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match && bytesInOutput > 0) packages.set(match[1], join(here, "node_modules", match[1]));
}
const notices = [...packages.keys()].sort().map((name) => {
  const dir = packages.get(name);
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  if (!file) throw new Error(`${name} ships no licence file: add its notice by hand`);
  const text = readFileSync(join(dir, file), "utf8").trim();
  return `${name}@${meta.version} (${meta.license})\n${"-".repeat(72)}\n${text}\n`;
});
writeFileSync(
  join(staticDir, "sql-editor.LICENSE"),
  "Third-party software in sql-editor.min.js (built from web-editor/ by `make editor`).\n\n" +
    notices.join("\n"),
);
console.log(`sql-editor.min.js: ${(output.bytes / 1024).toFixed(0)} KiB from ${packages.size} packages`);

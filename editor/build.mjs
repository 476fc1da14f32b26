// Bundle entry.js into one minified script for the browser, with the licences of every package
// in it and its SHA-256. Usage: node build.mjs OUTDIR (after `npm ci` in this folder).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const NAME = "editor.bundle.js";
const out = process.argv[2];
if (!out) throw new Error("usage: node build.mjs OUTDIR");

const result = await build({
  entryPoints: ["entry.js"],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "SGEditor",
  target: "es2020",
  legalComments: "none", // the licences go, whole, into the file beside the bundle
  charset: "utf8",
  metafile: true,
  write: false,
});
const code = result.outputFiles[0].contents;
writeFileSync(join(out, NAME), code);

// The packages whose code is in the bundle, each with its version and licence text.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
let licences = `${NAME} bundles these npm packages (built by editor/build.mjs):\n`;
for (const name of [...packages].sort()) {
  const folder = join("node_modules", name);
  const meta = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  const file = readdirSync(folder).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${name} ships no licence file`);
  licences += `\n${"=".repeat(78)}\n${name} ${meta.version} (${meta.license})\n${"=".repeat(78)}\n\n`;
  licences += readFileSync(join(folder, file), "utf8").trim() + "\n";
}
writeFileSync(join(out, `${NAME}.LICENSES.txt`), licences);
const sha = createHash("sha256").update(code).digest("hex");
writeFileSync(join(out, `${NAME}.sha256`), `${sha}  ${NAME}\n`);
console.log(`${NAME}: ${code.length} bytes, sha256 ${sha}, ${packages.size} packages`);

// Splits vl-convert's Vega bundle into three scripts the page runs in turn, so that the HTML parser
// compiles and runs it over three tasks instead of one (the Long Tasks budget is 200 ms):
//   .1.js  every top-level function declaration (compiled, nothing run: a script hoists its
//          functions before its first statement runs, so declaring them all first changes nothing),
//   .2.js and .3.js  every other top-level statement, in the bundle's order, split in two by size.
// A classic script's top-level `const`, `let` and `class` are shared with the scripts after it.
// Run by `make vendor-js` with acorn (MIT) from npm:
//   NODE_PATH=<folder with acorn> node tools/split_vega_bundle.js <bundle.js> <out prefix>
"use strict";
const acorn = require("acorn");
const fs = require("fs");

const [input, prefix] = process.argv.slice(2);
const source = fs.readFileSync(input, "utf8");
const header = source.slice(0, source.indexOf("\n")); // the bundle's licence line
const statements = acorn.parse(source, { ecmaVersion: "latest", sourceType: "script" }).body;
const text = (statement) => source.slice(statement.start, statement.end);
const declared = statements.filter((s) => s.type === "FunctionDeclaration");
const run = statements.filter((s) => s.type !== "FunctionDeclaration");
const size = run.reduce((total, s) => total + s.end - s.start, 0);
const halves = [[], []];
let seen = 0;
for (const statement of run) {
  halves[seen < size / 2 ? 0 : 1].push(text(statement));
  seen += statement.end - statement.start;
}
[declared.map(text), ...halves].forEach(function (part, i) {
  fs.writeFileSync(`${prefix}.${i + 1}.js`, `${header} (part ${i + 1} of 3: tools/split_vega_bundle.js)\n${part.join("\n")}\n`);
});

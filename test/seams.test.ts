// Issue 14's acceptance: other packages' internals are touched only in their adapter modules (each
// with a canary test), so an upgrade fails in one obvious place. This greps every source file git
// tracks in kernel-helpers/src, kernel-helpers/kernel/src, widgets/src, bench, scripts and test (what a fresh clone has; an
// engineer's scratch file is not the project's) for each package's internals and allows them only
// in the files listed here. Comment lines (starting //, /* or *) are not code and are skipped. The
// README's "Seams" section lists the same adapters and why each exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const SCANNED = ["kernel-helpers/src", "kernel-helpers/kernel/src", "widgets/src", "bench", "scripts", "test"];
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const THIS_FILE = "test/seams.test.ts";

interface Seam {
  what: string;
  internals: RegExp;
  /** the adapter and its canary test: the only files that may match */
  allowed: string[];
}

const SEAMS: Seam[] = [
  {
    what: "tfjs-node internals (the backend's SavedModel sessions, its binding, api_pb, the oneDNN transpose)",
    internals: new RegExp(
      [
        /\b(loadSavedModelMetaGraph|runSavedModel|deleteSavedModel|getNumOfSavedModels|executeSingleOutput)\b/,
        /api_pb|_MklTranspose|MklNameChangeOp/,
        /\.binding\b|\{\s*binding\s*[,}]|\bTF_(Version|ATTR_[A-Z]+|FLOAT|INT32)\b/,
      ]
        .map((r) => r.source)
        .join("|"),
    ),
    allowed: ["kernel-helpers/src/compute/tfjs-node-internals.ts", "test/helpers/tfjs-node-internals.test.ts"],
  },
  {
    what: "files inside a @tensorflow package's dist/ (not its public entry point)",
    internals: /(?:from\s+|require(?:\.resolve)?\(\s*|import\(\s*)["']@tensorflow\/tfjs-[\w-]+\/dist\b/,
    allowed: [],
  },
  {
    what: "tfjs-layers internals (layer nodes; a layer cast to reach its protected kernel, bias or activation)",
    internals: /\b(inboundNodes|outboundNodes|nodeIndex)\b|\b\w*(layer|conv)\w*\s+as unknown as\b/i,
    allowed: ["kernel-helpers/src/tfjs-layers-internals.ts", "test/helpers/tfjs-layers-internals.test.ts"],
  },
  {
    what: "plotly.js internals (_fullLayout, an axis's _offset and l2p, the _ev emitter)",
    internals: /\b_full(Layout|Data)\b|\._offset\b|\bl2p\b|\b_ev\b/,
    allowed: ["test/support/plotly.ts", "test/browser/plotly-internals.test.ts"],
  },
  {
    what: "files inside tslab's dist/ (its converter, executor, inspect, jupyter, util; the public entry is \"tslab\")",
    internals: /(?:from\s+|require(?:\.resolve)?\(\s*|import\(\s*)["']tslab\/dist\b/,
    allowed: ["kernel-helpers/kernel/src/tslab.ts", "test/kernel/tslab-internals.test.ts"],
  },
  {
    what: "TypeScript internals (a SourceFile's resolvedModules or locals; a module swapped in require.cache)",
    internals: /\bresolvedModules\b|\.locals\b|\brequire\.cache\b/,
    allowed: ["kernel-helpers/kernel/src/fast-compile.ts", "test/kernel/fast-compile.test.ts"],
  },
];

/** The source files git tracks under SCANNED (a file deleted but not yet committed is left out). */
function sourceFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--", ...SCANNED], { cwd: ROOT, encoding: "utf8" });
  return listed
    .split("\0")
    .filter((file) => SOURCE.test(file) && existsSync(join(ROOT, file)))
    .sort();
}

/** The code lines of `text` (comment lines left out), with their line numbers. */
function codeLines(text: string): { line: number; code: string }[] {
  return text
    .split("\n")
    .map((code, i) => ({ line: i + 1, code }))
    .filter(({ code }) => !/^\s*(\/\/|\/\*|\*)/.test(code));
}

/** "file:line: code" for every code line of `text` matching `pattern`. */
export function offences(file: string, text: string, pattern: RegExp): string[] {
  return codeLines(text)
    .filter(({ code }) => pattern.test(code))
    .map(({ line, code }) => `${file}:${line}: ${code.trim()}`);
}

const files = sourceFiles().map((file) => ({ file, text: readFileSync(join(ROOT, file), "utf8") }));

test("the scan sees the sources it is meant to see", () => {
  const seen = new Set(files.map((f) => f.file));
  for (const file of [...SEAMS.flatMap((s) => s.allowed), THIS_FILE]) {
    assert.ok(seen.has(file), `${file} is listed here but not scanned (moved or renamed? update this test)`);
  }
  assert.ok(files.length > 100, `only ${files.length} source files scanned`);
});

for (const seam of SEAMS) {
  test(`${seam.what}: only in ${seam.allowed.join(" and ") || "no file"}`, () => {
    const found = files
      .filter(({ file }) => file !== THIS_FILE && !seam.allowed.includes(file))
      .flatMap(({ file, text }) => offences(file, text, seam.internals));
    assert.deepEqual(
      found,
      [],
      `go through the adapter (${seam.allowed[0] ?? "a new adapter"}) instead:\n${found.join("\n")}`,
    );
  });
}

test("every adapter does touch the internals it is the seam for (or it is no longer needed: remove it)", () => {
  for (const seam of SEAMS) {
    const adapter = seam.allowed[0];
    if (!adapter) continue;
    const text = files.find((f) => f.file === adapter)?.text ?? "";
    assert.ok(offences(adapter, text, seam.internals).length > 0, `${adapter} matches none of ${seam.internals}`);
  }
});

// The patterns catch what they are for, in code and not in comments.
test("the scan flags code, not comments", () => {
  const sample = [
    "// layer.inboundNodes is read by the adapter",
    " * gd._fullLayout, see test/support/plotly.ts",
    "const nodes = layer.inboundNodes;",
    "const { kernel } = layer as unknown as { kernel?: LayerVariable };",
    "const axis = gd._fullLayout.xaxis;",
    "backend.runSavedModel(id, [x], feeds, names);",
    'import { x } from "@tensorflow/tfjs-layers/dist/engine/topology";',
    "const { binding } = backend;",
    'const env = { TF_CPP_MIN_LOG_LEVEL: "3" };',
    'import { createConverter } from "tslab/dist/converter";',
    'const jupyter = require("tslab/dist/jupyter");',
    'import * as tslab from "tslab";',
    "file.resolvedModules?.forEach(add);",
    "const entry = require.cache[path];",
    "const names = executor.locals;",
  ].join("\n");
  const flagged = (pattern: RegExp) => offences("sample.ts", sample, pattern).map((o) => Number(o.split(":")[1]));
  assert.deepEqual(flagged(SEAMS[0].internals), [6, 8]);
  assert.deepEqual(flagged(SEAMS[1].internals), [7]);
  assert.deepEqual(flagged(SEAMS[2].internals), [3, 4]);
  assert.deepEqual(flagged(SEAMS[3].internals), [5]);
  assert.deepEqual(flagged(SEAMS[4].internals), [10, 11]);
  assert.deepEqual(flagged(SEAMS[5].internals), [13, 14, 15]);
});

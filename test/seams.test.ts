// Issue 14's acceptance: other packages' internals are touched only in their adapter modules (each
// with a canary test), so an upgrade fails in one obvious place. This greps every source file git
// tracks in kernel-helpers/src, widgets/src, bench, scripts and test (what a fresh clone has; an
// engineer's scratch file is not the project's) for each package's internals and allows them only
// in the files listed here. Comment lines (starting //, /* or *) are not code and are skipped. The
// README's "Seams" section lists the same adapters and why each exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const SCANNED = ["kernel-helpers/src", "widgets/src", "bench", "scripts", "test"];
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
];

// tslab's converter and executor are reached through tslab/dist/* today. Their adapter (one module
// in kernel-helpers/src/kernel, with its canary) comes next, with the kernel's side of issue 14;
// until then these are the known importers and exactly what each imports. The test fails if one
// is added, or if one goes (then remove it here): the list can only shrink, to nothing.
const TSLAB_DIST_KNOWN: Record<string, string[]> = {
  "kernel-helpers/src/kernel/kernel.ts": ["converter", "executor", "inspect"],
  "kernel-helpers/src/kernel/launcher.ts": ["converter", "executor", "jupyter", "util"],
  "test/kernel/fast-compile.test.ts": ["converter", "executor"],
  "test/kernel/kernel-handler.test.ts": ["converter", "executor"],
};
const TSLAB_DIST = /(?:from\s+|require(?:\.resolve)?\(\s*|import\(\s*)["']tslab\/dist\/([\w/.-]+)["']/g;

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

/** The tslab/dist modules `text`'s code imports or requires. */
function tslabDistModules(text: string): string[] {
  const found = new Set<string>();
  for (const { code } of codeLines(text)) for (const m of code.matchAll(TSLAB_DIST)) found.add(m[1]);
  return [...found].sort();
}

const files = sourceFiles().map((file) => ({ file, text: readFileSync(join(ROOT, file), "utf8") }));

test("the scan sees the sources it is meant to see", () => {
  const seen = new Set(files.map((f) => f.file));
  for (const file of [...SEAMS.flatMap((s) => s.allowed), ...Object.keys(TSLAB_DIST_KNOWN), THIS_FILE]) {
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

test("tslab/dist/* is imported only by the known files, exactly as listed (the tslab adapter comes next)", () => {
  const found: Record<string, string[]> = {};
  for (const { file, text } of files) {
    if (file === THIS_FILE) continue;
    const modules = tslabDistModules(text);
    if (modules.length > 0) found[file] = modules;
  }
  assert.deepEqual(
    found,
    TSLAB_DIST_KNOWN,
    "a new tslab/dist import belongs in the tslab adapter; a removed one leaves this list",
  );
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
  ].join("\n");
  const flagged = (pattern: RegExp) => offences("sample.ts", sample, pattern).map((o) => Number(o.split(":")[1]));
  assert.deepEqual(flagged(SEAMS[0].internals), [6, 8]);
  assert.deepEqual(flagged(SEAMS[1].internals), [7]);
  assert.deepEqual(flagged(SEAMS[2].internals), [3, 4]);
  assert.deepEqual(flagged(SEAMS[3].internals), [5]);
  assert.deepEqual(
    tslabDistModules('import { a } from "tslab/dist/converter";\nconst j = require("tslab/dist/jupyter");'),
    ["converter", "jupyter"],
  );
});

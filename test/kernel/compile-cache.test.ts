// The set-up's compile cache (kernel compile-cache.ts): a kernel in another folder takes exactly
// what tslab's own compile gives for notebook 01's cells (the reference: a converter without the
// cache, in this process), and nothing it must not take: a cell after a changed declaration file,
// a cell importing a module of its folder, a cell with errors, anything after a `@module` cell.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { tslabConverters, type Converter } from "../../kernel-helpers/kernel/src/tslab";
import { useOwnPackages } from "../../kernel-helpers/kernel/src/own-packages";
import {
  absoluteImportTypes,
  compileContext,
  namesOwnFilesAbsolutely,
  relativeImportTypes,
} from "../../kernel-helpers/kernel/src/compile-cache";
import { codeCells } from "../../kernel-helpers/kernel/src/build-compile-cache";
import { tslabTypescript } from "../../kernel-helpers/kernel/src/fast-compile";

const ROOT = resolve(__dirname, "..", "..");
const KERNEL = join(ROOT, "kernel-helpers", "kernel");
const NOTEBOOK = join(ROOT, "notebooks", "01-visualise-filters-and-feature-maps.ipynb");

useOwnPackages(KERNEL, true);

/** The fields of a compile the executor reads. */
function compiled(converter: Converter, previous: string, code: string) {
  const { output, declOutput, lastExpressionVar, hasToplevelAwait, diagnostics } = converter.convert(previous, code);
  return { output, declOutput, lastExpressionVar, hasToplevelAwait, diagnostics: diagnostics.length };
}

/**
 * The set-up's builder (the kernel's dist, as the set-up runs it) in a folder two levels below a
 * new one: in test-artifacts (under the checkout, as notebooks/ is: the same type roots as the
 * checkout's folder, at another depth), or `outside` the checkout in the system's temporary folder
 * (no node_modules/@types above it, as the set-up's second build); returns the cache folder and the
 * builder's report.
 */
function build(
  notebooks: string[],
  files: Record<string, string> = {},
  outside = false,
): { cache: string; report: string; base: string } {
  mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
  const base = mkdtempSync(
    outside ? join(tmpdir(), "convlens-compile-cache-") : join(ROOT, "test-artifacts", "compile-cache-"),
  );
  const folder = join(base, "class", "student");
  mkdirSync(folder, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  const cache = join(base, "cache");
  const report = execFileSync(process.execPath, [join(KERNEL, "dist", "build-compile-cache.js"), cache, ...notebooks], {
    cwd: folder,
    encoding: "utf8",
  });
  return { cache, report, base };
}

function notebook(base: string, cells: string[]): string {
  const path = join(base, `nb-${readdirSync(base).length}.ipynb`);
  writeFileSync(path, JSON.stringify({ cells: cells.map((source) => ({ cell_type: "code", source })) }));
  return path;
}

/**
 * A kernel's compiles of notebook 01's cells, in a child Node whose folder is `folder` (TypeScript
 * takes its current directory once per process): each cell compiled by tslab without the cache (the
 * reference) and with it, in order, with the kernel's dist as the set-up's builder runs it.
 */
const COMPARE = `
const [kernel, cache, notebook] = process.argv.slice(1);
require(kernel + "/dist/own-packages").useOwnPackages(kernel, true);
const { tslabConverters } = require(kernel + "/dist/tslab");
const { codeCells } = require(kernel + "/dist/build-compile-cache");
const fresh = tslabConverters();
const cached = tslabConverters(cache);
const fields = ({ output, declOutput, lastExpressionVar, hasToplevelAwait, diagnostics }) =>
  JSON.stringify([output, declOutput, lastExpressionVar, hasToplevelAwait, diagnostics.length]);
let previous = "";
const differ = [];
const diagnostics = [];
for (const [index, code] of codeCells(notebook).entries()) {
  const reference = fresh.node.convert(previous, code);
  const taken = cached.node.convert(previous, code);
  if (fields(taken) !== fields(reference)) differ.push(index + 1);
  diagnostics.push(reference.diagnostics.length);
  previous = taken.declOutput ?? "";
}
console.log(JSON.stringify({ differ, diagnostics, previous, hits: cached.cache.hits, misses: cached.cache.misses }));
fresh.close();
cached.close();
`;

interface Compared {
  differ: number[];
  diagnostics: number[];
  previous: string;
  hits: number;
  misses: number;
}

function compare(folder: string, cache: string): Compared {
  const out = execFileSync(process.execPath, ["-e", COMPARE, KERNEL, cache, NOTEBOOK], {
    cwd: folder,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop() ?? "") as Compared;
}

/**
 * Builds the cache for notebook 01 (build) and compiles its cells in another folder at another
 * depth, with and without it: the same JavaScript and declarations, every cell a hit. In the
 * checkout, or both `outside` it.
 */
function sameAsTslab(outside: boolean): void {
  const { cache, report, base } = build([NOTEBOOK], {}, outside);
  const kernelFolder = join(base, "kernel");
  mkdirSync(kernelFolder);
  try {
    const cells = codeCells(NOTEBOOK);
    assert.match(report, new RegExp(`: ${cells.length}\\n`), report);
    const first = compare(kernelFolder, cache);
    assert.deepEqual(
      first.diagnostics,
      cells.map(() => 0),
    );
    assert.deepEqual(first.differ, []);
    assert.deepEqual([first.hits, first.misses], [cells.length, 0]);
    // the cells' types name convlens's declarations relative to the kernel's folder, not the builder's
    const convlens = relative(kernelFolder, join(ROOT, "kernel-helpers", "dist"));
    assert.ok(first.previous.includes(`import("${convlens}`), first.previous);

    // a declaration file the compile read has another time now: no entry is used
    for (const name of readdirSync(cache).filter((n) => n.startsWith("files-"))) {
      const stamps = JSON.parse(readFileSync(join(cache, name), "utf8")) as [string, number, number][];
      const index = stamps.findIndex(([path]) => path.endsWith(join("kernel-helpers", "dist", "index.d.ts")));
      assert.ok(index >= 0, "convlens's declarations are not among the files the cells read");
      stamps[index][2] += 1000;
      writeFileSync(join(cache, name), JSON.stringify(stamps));
    }
    const again = compare(kernelFolder, cache);
    assert.deepEqual(again.differ, []);
    assert.deepEqual([again.hits, again.misses], [0, cells.length]);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

test("a kernel in another folder of the checkout takes notebook 01's cells from the cache, exactly as tslab compiles them", () => {
  sameAsTslab(false);
});

test("so does a kernel outside the checkout (a student's home: other type roots), with the entries built outside it", () => {
  sameAsTslab(true);
});

test("cells that import their folder's modules, have errors or follow them, or follow a @module cell are not cached", () => {
  mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
  const base = mkdtempSync(join(ROOT, "test-artifacts", "compile-cache-nb-"));
  const imports = 'import { summary } from "convlens";';
  const local = notebook(base, [imports, 'import { twice } from "./local";\nconst four = twice(2);', "const x = 1;"]);
  const broken = notebook(base, [imports, "const n: number = 'one';", "const y = 2;"]);
  const moduleCell = notebook(base, [imports, "/** @module helper */\nexport const z = 3;", "const w = 4;"]);
  const { cache, report } = build([local, broken, moduleCell], {
    "local.ts": "export const twice = (n: number) => 2 * n;\n",
  });
  try {
    assert.match(report, /cached for .*: 3\n/, report); // the three notebooks' import cell (one entry)
    assert.match(report, /nb-0\.ipynb cell 2: it compiles modules of the notebook's folder/);
    assert.match(report, /nb-0\.ipynb cell 3: an import of \.\/local/);
    assert.match(report, /nb-1\.ipynb cell 2 and after: 1 diagnostics/);
    assert.match(report, /nb-2\.ipynb cell 2 and after: a tslab @module or @browser cell/);
    // a kernel that defined an in-memory module takes nothing from the cache (no key covers it)
    const converters = tslabConverters(cache);
    try {
      const node = converters.node;
      assert.equal(compiled(node, "", imports).diagnostics, 0);
      assert.equal(converters.cache?.hits, 1);
      node.addModule("helper", "export const z = 3;");
      assert.equal(compiled(node, "", imports).diagnostics, 0);
      assert.equal(converters.cache?.hits, 1);
    } finally {
      converters.close();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("a type root that gains a package changes the compile's context", () => {
  mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
  const root = mkdtempSync(join(ROOT, "test-artifacts", "compile-cache-types-"));
  try {
    const setting = {
      typescript: tslabTypescript(),
      tslab: "1.0.22",
      options: { typeRoots: [root], rootDir: "/somewhere", outDir: "outDir" },
      cwd: "/somewhere",
    };
    const before = compileContext(setting);
    assert.equal(compileContext({ ...setting, options: { ...setting.options, rootDir: "/elsewhere" } }), before);
    mkdirSync(join(root, "extra"));
    assert.notEqual(compileContext(setting), before);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("import types of the own packages' files move between relative (as TypeScript writes them) and absolute paths", () => {
  const own = ["/home/lib/", "/home/s1/notebooks/here/"];
  const relativeText =
    'declare const a: import("../../lib/dist").A;\ndeclare const b: import("./here/x").B;\ndeclare const c: import("convlens").C;\n' +
    "declare const d = 'import(\"./elsewhere\")';\n";
  const absolute = absoluteImportTypes(relativeText, "/home/s1/notebooks", own);
  assert.equal(
    absolute,
    'declare const a: import("/home/lib/dist").A;\ndeclare const b: import("/home/s1/notebooks/here/x").B;\ndeclare const c: import("convlens").C;\n' +
      "declare const d = 'import(\"./elsewhere\")';\n",
  );
  assert.equal(relativeImportTypes(absolute, "/home/s1/notebooks", own), relativeText);
  assert.equal(
    relativeImportTypes(absolute, "/srv/class/s2", own),
    relativeText.replace("../../lib", "../../../home/lib").replace("./here", "../../../home/s1/notebooks/here"),
  );
  assert.equal(relativeImportTypes('import("/home/lib")', "/home/lib/x", own), 'import("..")');
  assert.equal(namesOwnFilesAbsolutely(absolute, own), true);
  assert.equal(namesOwnFilesAbsolutely(relativeText, own), false);
});

// `node build-compile-cache.js <cache folder> <notebook.ipynb>...`: compiles each notebook's code
// cells in order, as a kernel started in the current folder would (the same compiler set-up as
// launcher.ts), and writes those a kernel may take from the cache (compile-cache.ts). The set-up
// runs it once in the notebooks' own folder and once in an empty temporary folder (any folder
// without node_modules/@types above it: a student's home, a copy of a notebook), which compile
// with different type roots and so have different keys.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { lastCompilerOptions, lastProgram, tslabTypescript } from "./fast-compile";
import { CompileCacheWriter, notCacheable } from "./compile-cache";
import { useOwnPackages } from "./own-packages";
import { tslabConverters, tslabVersion } from "./tslab";

interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

/** A notebook's code cells, as the kernel receives them. */
export function codeCells(path: string): string[] {
  const notebook = JSON.parse(readFileSync(path, "utf8")) as { cells?: NotebookCell[] };
  return (notebook.cells ?? [])
    .filter((cell) => cell.cell_type === "code")
    .map((cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source));
}

/** What was written and skipped, for the set-up's log. */
export interface BuildReport {
  written: number;
  skipped: string[];
}

/** Compiles the notebooks' cells in `cwd` (the process's folder) and writes the cacheable ones to `dir`. */
export function buildCompileCache(dir: string, notebooks: string[]): BuildReport {
  const own = useOwnPackages(join(__dirname, ".."), false);
  const converters = tslabConverters();
  const skipped: string[] = [];
  try {
    const converter = converters.node;
    const options = lastCompilerOptions();
    if (!options) throw new Error("convlens: tslab's converter was built without fast-compile's view of TypeScript");
    const cwd = process.cwd();
    const setting = { typescript: tslabTypescript(), tslab: tslabVersion(), options, cwd };
    const writer = new CompileCacheWriter(dir, setting);
    const virtualFiles = [resolve(cwd, "__tslab__.ts"), resolve(cwd, "__prev__.d.ts")];
    for (const notebook of notebooks) {
      let previous = "";
      for (const [index, code] of codeCells(notebook).entries()) {
        const where = `${notebook} cell ${index + 1}`;
        // tslab's own cell kinds (an in-memory module, browser code) are not compiled this way
        if (/@module|@browser/.test(code)) {
          skipped.push(`${where} and after: a tslab @module or @browser cell`);
          break;
        }
        const compiledFrom = Date.now();
        const result = converter.convert(previous, code);
        if (result.diagnostics.length > 0) {
          skipped.push(`${where} and after: ${result.diagnostics.length} diagnostics`);
          break;
        }
        const program = lastProgram();
        const { output, declOutput, lastExpressionVar, hasToplevelAwait } = result;
        let why: string | undefined;
        if (!program) why = "no program";
        else if (result.sideOutputs) why = "it compiles modules of the notebook's folder";
        else if (output === undefined || declOutput === undefined) why = "no output";
        else {
          const cell = { output, declOutput, lastExpressionVar, hasToplevelAwait };
          why = notCacheable(setting, own, previous, { ...cell, code }, program, virtualFiles);
          if (!why && !writer.write(previous, code, cell, program, virtualFiles, compiledFrom))
            why = "a file it read changed while it compiled";
        }
        if (why) skipped.push(`${where}: ${why}`);
        previous = declOutput ?? "";
      }
    }
    return { written: writer.written, skipped };
  } finally {
    converters.close();
  }
}

function main(argv: string[]): void {
  const [dir, ...notebooks] = argv.slice(2);
  if (!dir || notebooks.length === 0) {
    console.error("usage: build-compile-cache <cache folder> <notebook.ipynb>...");
    process.exit(2);
  }
  const { written, skipped } = buildCompileCache(
    resolve(dir),
    notebooks.map((n) => resolve(n)),
  );
  console.log(`compiled cells cached for ${process.cwd()}: ${written}`);
  for (const line of skipped) console.log(`  not cached: ${line}`);
}

if (require.main === module) main(process.argv);

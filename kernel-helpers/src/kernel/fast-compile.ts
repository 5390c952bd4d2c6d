// Makes tslab compile a cell without a builder state it never uses.
//
// tslab's converter rebuilds its TypeScript program twice per cell (once to find the cell's
// names, once to export them). Its watch host defaults to an "emit and semantic diagnostics"
// builder, which on every rebuild recomputes which file references which for all ~800 files a
// tfjs cell pulls in (tfjs-core alone has ~430 declaration files): about half of a cell's compile
// time, for an incremental-emit bookkeeping tslab never asks for. The only builder method tslab
// uses beyond the program itself is getAllDependencies (the cell's local .ts/.js modules, to
// emit and check them), which the plain "abstract" builder lacks; it is answered here from the
// program's module resolutions.
//
// tslab does not let us pass a builder, so the TypeScript module tslab loads is replaced in
// Node's module cache by a view of it whose createWatchCompilerHost supplies one. This must run
// before tslab's converter is first loaded (launcher.ts imports this module first).
import type * as ts from "@tslab/typescript-for-tslab";

type CreateProgram = ts.CreateProgram<ts.BuilderProgram>;

/** Internal to TypeScript 5.0 (the version tslab pins): the module resolutions of a parsed file. */
interface ResolvedModules {
  resolvedModules?: { forEach(fn: (resolution: { resolvedModule?: { resolvedFileName: string } } | undefined) => void): void };
}

/** root and every file it imports, transitively through non-declaration files (local modules). */
export function allDependencies(program: ts.Program, root: ts.SourceFile): string[] {
  const seen = new Set<string>([root.fileName]);
  const queue = [root];
  for (let file = queue.pop(); file; file = queue.pop()) {
    (file as ts.SourceFile & ResolvedModules).resolvedModules?.forEach((resolution) => {
      const name = resolution?.resolvedModule?.resolvedFileName;
      const dependency = name ? program.getSourceFile(name) : undefined;
      if (!dependency || seen.has(dependency.fileName)) return;
      seen.add(dependency.fileName);
      // a package's declarations lead only to more declarations, which tslab neither emits nor checks
      if (!dependency.isDeclarationFile) queue.push(dependency);
    });
  }
  return [...seen];
}

/** A createProgram for watch hosts: the plain builder, plus getAllDependencies. */
function abstractBuilder(typescript: typeof ts): CreateProgram {
  return (rootNames, options, host, oldProgram, configDiagnostics, references) => {
    const builder = typescript.createAbstractBuilder(rootNames, options, host, oldProgram, configDiagnostics, references);
    builder.getAllDependencies = (file) => allDependencies(builder.getProgram(), file);
    // Bind every file now, as the default builder does: tslab then hangs the cell's file under the
    // previous cells' declarations (srcFile.parent = declsFile) to resolve their names, and binding
    // it later would reset that parent.
    builder.getProgram().getTypeChecker();
    return builder;
  };
}

let used = false;

/** Whether a converter has been built with the abstract builder (false: tslab was loaded first). */
export function fastBuilderUsed(): boolean {
  return used;
}

function install(): void {
  // the copy tslab itself resolves (its programs must not mix with another copy's)
  const path = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab/package.json")] });
  const original = require(path) as typeof ts;
  const entry = require.cache[path];
  if (!entry) return;
  const createProgram = abstractBuilder(original);
  const view: Record<string, unknown> = {};
  for (const key of Object.keys(original)) {
    if (key !== "createWatchCompilerHost") Object.defineProperty(view, key, { enumerable: true, get: () => (original as Record<string, unknown>)[key] });
  }
  view.createWatchCompilerHost = (...args: unknown[]) => {
    // tslab's call: (rootFiles, options, system, createProgram = null, reportDiagnostic, reportWatchStatus)
    if (Array.isArray(args[0]) && !args[3]) {
      args[3] = createProgram;
      used = true;
    }
    return (original.createWatchCompilerHost as (...a: unknown[]) => unknown)(...args);
  };
  entry.exports = view;
}

install();

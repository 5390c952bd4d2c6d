// Makes tslab compile a cell without a builder state it never uses.
//
// tslab's converter rebuilds its TypeScript program twice per cell (once to find the cell's
// names, once to export them). Its watch host defaults to an "emit and semantic diagnostics"
// builder, which on every rebuild recomputes which file references which for all ~800 files a
// tfjs cell pulls in (tfjs-core alone has ~430 declaration files): about half of a cell's compile
// time, for an incremental-emit bookkeeping tslab never asks for. The only builder method tslab
// uses beyond the program itself is getAllDependencies (the cell's local .ts/.js modules, to
// emit and check them), which the plain "abstract" builder lacks; it is answered here from the
// program's module resolutions. And the files are bound with TypeScript's binder alone, not by
// making a type checker that tslab would not use (bindFiles).
//
// tslab does not let us pass a builder, so the TypeScript module tslab loads is replaced in
// Node's module cache by a view of it whose createWatchCompilerHost supplies one. This must run
// before tslab's converter is first loaded: the tslab adapter (tslab.ts, the only module that
// loads tslab's converter) calls installFastCompile() before it requires tslab. The same call is
// where compiler options tslab does not set are added (addCompilerOptions: the `paths` of the
// kernel's own packages, own-packages.ts). This file is the seam to TypeScript's internals;
// test/kernel/fast-compile.test.ts is its canary (missingTypescriptInternals).
import { dirname, resolve } from "node:path";
import type * as ts from "@tslab/typescript-for-tslab";

type CreateProgram = ts.CreateProgram<ts.BuilderProgram>;

/** The TypeScript tslab 1.0.22 pins; resolvedModules below is internal to it (moved in 5.3). */
const SUPPORTED_TYPESCRIPT = "5.0";

/** Internal to TypeScript 5.0: the module resolutions of a parsed file. */
interface ResolvedModules {
  resolvedModules?: { forEach(fn: (resolution: { resolvedModule?: { resolvedFileName: string } } | undefined) => void): void };
}

/** The program's files that `file` imports or references with `/// <reference path>`. */
function directDependencies(program: ts.Program, file: ts.SourceFile): ts.SourceFile[] {
  const found: (ts.SourceFile | undefined)[] = [];
  (file as ts.SourceFile & ResolvedModules).resolvedModules?.forEach((resolution) => {
    const name = resolution?.resolvedModule?.resolvedFileName;
    if (name) found.push(program.getSourceFile(name));
  });
  for (const reference of file.referencedFiles) {
    const path = resolve(dirname(file.fileName), reference.fileName);
    found.push(program.getSourceFile(path) ?? program.getSourceFile(`${path}.ts`));
  }
  return found.filter((f): f is ts.SourceFile => f !== undefined);
}

/** root and every file it depends on, transitively through non-declaration files (local modules). */
export function allDependencies(program: ts.Program, root: ts.SourceFile): string[] {
  const seen = new Set<string>([root.fileName]);
  const queue = [root];
  for (let file = queue.pop(); file; file = queue.pop()) {
    for (const dependency of directDependencies(program, file)) {
      if (seen.has(dependency.fileName)) continue;
      seen.add(dependency.fileName);
      // a package's declarations lead only to more declarations, which tslab neither emits nor checks
      if (!dependency.isDeclarationFile) queue.push(dependency);
    }
  }
  return [...seen];
}

/** Internal to TypeScript 5.0: the binder, which fills a file's locals (once: a bound file is left as it is). */
interface Binder {
  bindSourceFile?: (file: ts.SourceFile, options: ts.CompilerOptions) => void;
}

/**
 * Binds the program's files that are not bound yet (after the first program, only the cell's):
 * tslab's convert reads the cell's names from srcFile.locals, which binding fills, before anything
 * type-checks. The default builder binds them by making the program's type checker, whose start
 * (merging every file's globals) is ~10 ms per cell; tslab then checks the next program (the cell
 * with its names exported), not this one, so that checker went unused.
 */
function bindFiles(typescript: typeof ts, program: ts.Program): void {
  const bind = (typescript as typeof ts & Binder).bindSourceFile;
  if (typeof bind !== "function") {
    program.getTypeChecker(); // binds them all, at the checker's cost
    return;
  }
  const options = program.getCompilerOptions();
  for (const file of program.getSourceFiles()) bind(file, options);
}

/** The program tslab's converter built last (its cell with the names exported, after a convert). */
let latestProgram: ts.Program | undefined;

/** The program of the last cell compiled (by any converter); undefined before the first. */
export function lastProgram(): ts.Program | undefined {
  return latestProgram;
}

/** A createProgram for watch hosts: the plain builder, plus getAllDependencies. */
function abstractBuilder(typescript: typeof ts): CreateProgram {
  return (rootNames, options, host, oldProgram, configDiagnostics, references) => {
    const builder = typescript.createAbstractBuilder(rootNames, options, host, oldProgram, configDiagnostics, references);
    builder.getAllDependencies = (file) => allDependencies(builder.getProgram(), file);
    bindFiles(typescript, builder.getProgram());
    latestProgram = builder.getProgram();
    return builder;
  };
}

/** Options added to those tslab's converter compiles cells with (set before it is built). */
let extraOptions: ts.CompilerOptions = {};

/** Adds compiler options to tslab's converter; call before the converter is built. */
export function addCompilerOptions(options: ts.CompilerOptions): void {
  extraOptions = { ...extraOptions, ...options };
}

/** The options (tslab's and the added ones) of the last converter built; undefined before the first. */
let latestOptions: ts.CompilerOptions | undefined;

/** The compiler options the converter built last compiles with (read right after building it). */
export function lastCompilerOptions(): ts.CompilerOptions | undefined {
  return latestOptions;
}

/** null once tslab's converter has been built with the abstract builder; else why not. */
let notUsed: string | null = "no TypeScript converter has been built yet";

/** Why tslab compiles at its own speed (null: it uses the abstract builder). */
export function fastBuilderProblem(): string | null {
  return notUsed;
}

let installed = false;

/** Where the TypeScript tslab itself resolves is (its programs must not mix with another copy's). */
function tslabTypescriptPath(): string {
  return require.resolve("@tslab/typescript-for-tslab", { paths: [dirname(require.resolve("tslab/package.json"))] });
}

/** Puts the view in Node's module cache; before tslab's converter loads (once; later calls do nothing). */
export function installFastCompile(): void {
  if (installed) return;
  installed = true;
  const path = tslabTypescriptPath();
  const original = require(path) as typeof ts;
  const entry = require.cache[path];
  if (!entry) {
    notUsed = `${path} is not in Node's module cache`;
    return;
  }
  const known = original.versionMajorMinor === SUPPORTED_TYPESCRIPT;
  const createProgram = known ? abstractBuilder(original) : undefined;
  const view: Record<string, unknown> = {};
  for (const key of Object.keys(original)) {
    if (key !== "createWatchCompilerHost") Object.defineProperty(view, key, { enumerable: true, get: () => (original as Record<string, unknown>)[key] });
  }
  view.createWatchCompilerHost = (...args: unknown[]) => {
    // tslab's call: (rootFiles, options, system, createProgram = null, reportDiagnostic, reportWatchStatus)
    if (Array.isArray(args[0])) {
      args[1] = latestOptions = { ...(args[1] as ts.CompilerOptions), ...extraOptions };
      if (createProgram && !args[3]) {
        args[3] = createProgram;
        notUsed = null;
      }
    }
    return (original.createWatchCompilerHost as (...a: unknown[]) => unknown)(...args);
  };
  entry.exports = view;
  notUsed = known
    ? "tslab's converter was loaded before fast-compile, so it kept its own builder"
    : `tslab's TypeScript is ${original.version}; fast-compile knows ${SUPPORTED_TYPESCRIPT} only`;
}

/** The TypeScript tslab compiles cells with (the copy tslab resolves), as Node loaded it. */
export function tslabTypescript(): typeof ts {
  const path = tslabTypescriptPath();
  const entry = require.cache[path];
  return (entry?.exports ?? require(path)) as typeof ts;
}

/**
 * What of TypeScript's internals fast-compile relies on `typescript` lacks, one sentence each (empty
 * when all are there): its version, the builder functions and the binder, a parsed file's resolvedModules (read by
 * getAllDependencies) and the binder's SourceFile.locals (read by tslab's convert once the
 * abstract builder has bound the files). Checked on a two-file program in memory.
 */
export function missingTypescriptInternals(typescript: typeof ts): string[] {
  const name = `TypeScript ${typescript.version}`;
  const found: string[] = [];
  if (typescript.versionMajorMinor !== SUPPORTED_TYPESCRIPT) {
    found.push(`${name} is not ${SUPPORTED_TYPESCRIPT}, the version fast-compile knows`);
  }
  for (const fn of ["createAbstractBuilder", "createWatchCompilerHost", "createProgram"] as const) {
    if (typeof typescript[fn] !== "function") found.push(`${name} no longer exports ${fn}`);
  }
  if (typeof (typescript as typeof ts & Binder).bindSourceFile !== "function") {
    found.push(`${name} no longer exports bindSourceFile (cells would compile, each paying for a type checker more)`);
  }
  if (typeof typescript.createProgram !== "function") return found;
  const files: Record<string, string> = {
    "/canary/cell.ts": 'import { b } from "./dep";\nconst local = b;\n',
    "/canary/dep.ts": "export const b = 1;\n",
  };
  const options: ts.CompilerOptions = {
    noLib: true,
    types: [],
    moduleResolution: typescript.ModuleResolutionKind.Node10,
  };
  const host: ts.CompilerHost = {
    getSourceFile: (file, target) =>
      file in files ? typescript.createSourceFile(file, files[file], target) : undefined,
    getDefaultLibFileName: () => "/canary/lib.d.ts",
    writeFile: () => undefined,
    getCurrentDirectory: () => "/canary",
    getCanonicalFileName: (file) => file,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (file) => file in files,
    readFile: (file) => files[file],
  };
  const program = typescript.createProgram(["/canary/cell.ts"], options, host);
  const cell = program.getSourceFile("/canary/cell.ts");
  if (!cell) return [...found, `${name}: the canary's program has no cell.ts`];
  try {
    bindFiles(typescript, program); // as abstractBuilder does
  } catch {
    // a binder that cannot fill locals (checked below)
  }
  if (!allDependencies(program, cell).includes("/canary/dep.ts")) {
    found.push(`${name}'s SourceFile has no resolvedModules listing its imports (5.3 moved them to the program)`);
  }
  const locals = (cell as ts.SourceFile & { locals?: { has(name: string): boolean } }).locals;
  if (typeof locals?.has !== "function" || !locals.has("local")) {
    found.push(`${name}'s binder no longer fills SourceFile.locals with a file's names (tslab's convert reads them)`);
  }
  return found;
}

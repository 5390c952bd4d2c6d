// The seam to tslab's internals: the only module that loads tslab/dist/*. tslab's public entry
// (dist/public.js: `display`, `versions`) is the API for cells; a kernel needs its converter and
// executor, which tslab does not export. The rest of the kernel uses the small typed API below;
// test/kernel/tslab-internals.test.ts checks every internal named here and says exactly what moved.
//
// Order: tslab's converter must load TypeScript after fast-compile has put its view of it in
// Node's module cache (fast-compile.ts). So tslab's modules are required below, after the call to
// installFastCompile(), not imported: an import sorter would move them, and TypeScript would hoist
// them above any call. The type-only imports are erased.
import { existsSync } from "node:fs";
import { installFastCompile, lastCompilerOptions, tslabTypescript } from "./fast-compile";
import { CompileCache } from "./compile-cache";
import type * as ConverterModule from "tslab/dist/converter";
import type * as ExecutorModule from "tslab/dist/executor";
import type * as InspectModule from "tslab/dist/inspect";
import type * as UtilModule from "tslab/dist/util";
import type { JSONObject } from "convlens/dist/runtime/messages";

installFastCompile();

/** tslab's `jupyter` module: its display hook, which only tslab's own Jupyter handler sets. */
interface JupyterModule {
  lastWriteDisplayData: ((data: object, update: boolean) => void) | null;
}

/** Every tslab/dist module the adapter loads, and what of each it uses. */
export interface TslabModules {
  converter: typeof ConverterModule;
  executor: typeof ExecutorModule;
  inspect: typeof InspectModule;
  util: typeof UtilModule;
  jupyter: JupyterModule;
}

/** The functions of each module the adapter calls, with the parameters it passes them. */
export const TSLAB_FUNCTIONS: { readonly [M in keyof TslabModules]: Readonly<Record<string, readonly string[]>> } = {
  converter: { createConverter: ["options"], isCompleteCode: ["code"] },
  executor: { createExecutor: ["rootDir", "converters", "console"] },
  inspect: { printQuickInfo: ["info"] },
  util: { getVersion: [] },
  jupyter: {},
};

/** What of TSLAB_FUNCTIONS and the display hook `modules` lack, one sentence each (empty when all are there). */
export function missingTslabInternals(modules: Partial<Record<keyof TslabModules, unknown>>): string[] {
  const found: string[] = [];
  for (const [name, functions] of Object.entries(TSLAB_FUNCTIONS) as [keyof TslabModules, Record<string, string[]>][]) {
    const module = modules[name] as Record<string, unknown> | undefined;
    if (typeof module !== "object" || module === null) {
      found.push(`tslab has no dist/${name} module`);
      continue;
    }
    for (const fn of Object.keys(functions)) {
      if (typeof module[fn] !== "function") found.push(`tslab's ${name} no longer exports ${fn}`);
    }
  }
  const jupyter = modules.jupyter as Record<string, unknown> | undefined;
  if (jupyter && !("lastWriteDisplayData" in jupyter)) {
    found.push("tslab's jupyter no longer exports lastWriteDisplayData (the hook tslab.display writes through)");
  }
  return found;
}

/** A module, or undefined if there is no such file (missingTslabInternals then says which). */
function ifFound(load: () => unknown): unknown {
  try {
    return load();
  } catch (e) {
    // the module itself, not one it requires (the message's first line names the one not found)
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === "MODULE_NOT_FOUND" && String(message).split("\n")[0].includes("'tslab/dist/")) return undefined;
    throw e;
  }
}

/**
 * The functions of TSLAB_FUNCTIONS in `modules` that declare another number of parameters than
 * the adapter passes, one sentence each. For the canary only: a new optional parameter is no
 * reason to refuse a kernel start, but it is worth a look after an upgrade.
 */
export function changedTslabSignatures(modules: Partial<Record<keyof TslabModules, unknown>>): string[] {
  const found: string[] = [];
  for (const [name, functions] of Object.entries(TSLAB_FUNCTIONS) as [keyof TslabModules, Record<string, string[]>][]) {
    for (const [fn, parameters] of Object.entries(functions)) {
      const value = (modules[name] as Record<string, unknown> | undefined)?.[fn];
      if (typeof value === "function" && value.length !== parameters.length) {
        found.push(
          `tslab's ${name}.${fn} takes ${value.length} parameters, not ${parameters.length} (${parameters.join(", ")})`,
        );
      }
    }
  }
  return found;
}

/** tslab's modules, as Node loads them (unchecked: the canary reads them through missingTslabInternals). */
export function loadTslabModules(): Partial<Record<keyof TslabModules, unknown>> {
  return {
    converter: ifFound(() => require("tslab/dist/converter")),
    executor: ifFound(() => require("tslab/dist/executor")),
    inspect: ifFound(() => require("tslab/dist/inspect")),
    util: ifFound(() => require("tslab/dist/util")),
    jupyter: ifFound(() => require("tslab/dist/jupyter")),
  };
}

/** The checked modules; the kernel does not start with a tslab that lacks what it uses. */
function checkedTslab(): TslabModules {
  const loaded = loadTslabModules();
  const missing = missingTslabInternals(loaded);
  if (missing.length > 0) throw new Error(`convlens's kernel does not know this tslab: ${missing.join("; ")}`);
  return loaded as TslabModules;
}

const tslab = checkedTslab();

/** tslab's TypeScript converter for one mode (node or browser). */
export type Converter = ConverterModule.Converter;

/** tslab's converters, node and browser, each built on first use. */
export interface Converters {
  readonly node: Converter;
  readonly browser: Converter;
  /** The node converter's compile cache, once it is built (with a cache folder). */
  readonly cache: CompileCache | undefined;
  close(): void;
}

/**
 * The node converter taking compiled cells from `cache` (compile-cache.ts) where it has them, until
 * a tslab `@module` cell defines an in-memory module (which no entry's key covers).
 */
function withCache(converter: Converter, cache: CompileCache): Converter {
  let modules = false;
  return {
    convert(previous, code) {
      const cell = modules ? undefined : cache.lookup(previous, code);
      return cell ? { ...cell, diagnostics: [] } : converter.convert(previous, code);
    },
    addModule(...args) {
      modules = true;
      return converter.addModule(...args);
    },
    inspect: (...args) => converter.inspect(...args),
    complete: (...args) => converter.complete(...args),
    close: () => converter.close(),
  };
}

/**
 * Builds the converters lazily, as tslab's own ConverterSetImpl does (it is not exported). With
 * `cacheDir`, the node converter reads compiled cells from that folder (compile-cache.ts).
 */
export function tslabConverters(cacheDir?: string): Converters {
  let node: Converter | undefined;
  let browser: Converter | undefined;
  let cache: CompileCache | undefined;
  return {
    get node() {
      if (node) return node;
      node = tslab.converter.createConverter({ isJS: false, isBrowser: false });
      const options = lastCompilerOptions();
      // no cache folder (an installed kernel: `convlens install` writes none): no look-up per cell
      if (cacheDir && options && existsSync(cacheDir)) {
        const setting = { typescript: tslabTypescript(), tslab: tslabVersion(), options, cwd: process.cwd() };
        cache = new CompileCache(cacheDir, setting);
        node = withCache(node, cache);
      }
      return node;
    },
    get cache() {
      return cache;
    },
    get browser() {
      return (browser ??= tslab.converter.createConverter({ isJS: false, isBrowser: true }));
    },
    close() {
      node?.close();
      browser?.close();
    },
  };
}

/** What precompile gives: the cell's diagnostics, and its declarations (what the next cell sees of it). */
export interface Precompiled {
  diagnostics: number;
  declarations: string;
}

/**
 * Compiles `code` with the node converter without running it, as a cell that follows one whose
 * declarations are `previous` (the executor passes each cell the last one's): its TypeScript
 * program reads the declarations of what `code` imports before the first cell does.
 */
export function precompile(converters: Converters, code: string, previous = ""): Precompiled {
  const { diagnostics, declOutput } = converters.node.convert(previous, code);
  return { diagnostics: diagnostics.length, declarations: declOutput ?? "" };
}

/** Where a cell's output goes: its last expression's value, and what it prints as failures. */
export interface CellConsole {
  log(value: unknown): void;
  error(...args: unknown[]): void;
}

/** Completion candidates for the text between start and end. */
export interface Completion {
  start: number;
  end: number;
  candidates: string[];
}

/** Runs cells one at a time, keeping their names from cell to cell. */
export interface CellExecutor {
  /**
   * Compiles and runs `code`; false if it failed (its diagnostics or error went to the console's
   * error()). A cell's last expression goes to the console's log().
   */
  execute(code: string): Promise<boolean>;
  /** The quick info (as tslab prints it) of the name at `position`, if there is one. */
  inspect(code: string, position: number): string | undefined;
  complete(code: string, position: number): Completion;
  /** Stops awaiting the running cell (its promise is left alone). */
  interrupt(): void;
  close(): void;
}

/** tslab's executor: cells run in this process; relative imports resolve from rootDir. */
export function createCellExecutor(rootDir: string, converters: Converters, console: CellConsole): CellExecutor {
  const executor = tslab.executor.createExecutor(rootDir, converters, console);
  return {
    // tslab's own functions, not wrappers: a cell's error stack has no frame of this file
    execute: executor.execute,
    inspect(code, position) {
      // typed as always found, but undefined when nothing is at position
      const info = executor.inspect(code, position) as ReturnType<ExecutorModule.Executor["inspect"]> | undefined;
      return info ? tslab.inspect.printQuickInfo(info) : undefined;
    },
    complete: executor.complete,
    interrupt: executor.interrupt,
    close: executor.close,
  };
}

/** The format tslab's executor prints each TypeScript diagnostic with (executor.ts printDiagnostics). */
export const DIAGNOSTIC_FORMAT = "%s%d:%d - %s";

/** Whether a console.error call of the executor printed a TypeScript diagnostic (not a thrown error). */
export function isDiagnostic(printed: unknown[]): boolean {
  return printed[0] === DIAGNOSTIC_FORMAT;
}

/** tslab's answer to is_complete: complete, or incomplete with the indent of the next line. */
export function isCompleteCode(code: string): { completed: boolean; indent?: string } {
  return tslab.converter.isCompleteCode(code);
}

/** tslab's version (its package.json). */
export function tslabVersion(): string {
  return tslab.util.getVersion();
}

/**
 * Sends what cells display through tslab's own API (`import * as tslab from "tslab";
 * tslab.display.html(...)`) to `write`: display_data, or update_display_data when `update`.
 */
export function routeTslabDisplay(write: (data: JSONObject, update: boolean) => void): void {
  // tslab passes update as undefined (not false) for a display's first write
  tslab.jupyter.lastWriteDisplayData = (data, update) => write(data as JSONObject, update === true);
}

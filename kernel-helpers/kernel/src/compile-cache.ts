// Compiled tutorial cells, kept from the set-up for every kernel (issue 18).
//
// In a class, 16 kernels compile the same notebook cells at the same moment: TypeScript is ~60 %
// of a seed cell's kernel CPU (README "Teach a class"), and what it produces depends only on the
// cell, the declarations of the cells before it, the compiler's options and the declaration files
// it reads. The set-up compiles the notebooks shipped in notebooks/ once (build-compile-cache.ts)
// and writes what tslab's converter returned for each cell; a kernel running the same cell after
// the same cells takes it from here instead of compiling it. Anything else compiles as before.
//
// An entry is used only when it is exactly what the compile would give:
//  - its key is the cell's text, the previous cells' declarations, TypeScript's and tslab's
//    versions, the compiler options (the kernel's own packages' folders among them) and the
//    type roots with the packages in them (a folder's node_modules/@types, which tslab includes);
//  - every declaration file the compile read still has its size and modification time (stat'ed
//    on each use: a rebuilt or upgraded package makes its entries misses);
//  - only cells that compiled without diagnostics, read no file of the notebook's folder, and
//    import only the kernel's own packages (resolved to fixed folders wherever the notebook is)
//    are written. A cell importing its own module, an npm package of the notebook's folder, or
//    anything after a tslab `@module` cell compiles every time.
// TypeScript writes the types of the cell's names as paths relative to the notebook's folder
// (`import("../../work/main/kernel-helpers/dist").LoadedImage`): entries keep them absolute and
// the kernel makes them relative to its own folder again, so students' folders share entries.
//
// The cache is read-only for kernels; only the set-up writes it (in the kernel package's own
// compile-cache/ folder).
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type * as ts from "@tslab/typescript-for-tslab";
import { ownPackageOf, type OwnPackages } from "./own-packages";

/** Bumped when an entry's layout or meaning changes: older entries then miss. */
export const CACHE_FORMAT = 1;

/** The kernel package's cache folder. */
export const CACHE_DIR = join(__dirname, "..", "compile-cache");

/** What tslab's converter returns for a cell that compiled without diagnostics (the fields the executor reads). */
export interface CompiledCell {
  output: string;
  declOutput: string;
  lastExpressionVar?: string;
  hasToplevelAwait?: boolean;
}

interface Entry {
  format: number;
  /** the file set (files-<id>.json) the compile read */
  files: string;
  cell: CompiledCell;
}

/** A declaration file as the compile read it: path, size, modification time (ms). */
type FileStamp = [string, number, number];

// TypeScript writes a type from another file as import("<path relative to the cell's folder>").
const RELATIVE_IMPORT_TYPE = /import\("(\.\.?(?:\/[^"]*)?)"\)/g;
const ABSOLUTE_IMPORT_TYPE = /import\("(\/[^"]*)"\)/g;

/** The kernel's own packages' folders (the compiler's `paths`), each ending in a separator. */
export function ownFolders(options: ts.CompilerOptions): string[] {
  return Object.entries(options.paths ?? {})
    .filter(([name]) => !name.endsWith("/*"))
    .flatMap(([, dirs]) => dirs)
    .map((dir) => (dir.endsWith(sep) ? dir : dir + sep));
}

const inside = (path: string, folders: readonly string[]) => folders.some((folder) => (path + sep).startsWith(folder));

/**
 * Declarations with their relative import types of the own packages' files (`own`, ownFolders)
 * made absolute (from `cwd`). Only those: any other text (a string literal type that happens to
 * look like one) stays as it is.
 */
export function absoluteImportTypes(declarations: string, cwd: string, own: readonly string[]): string {
  return declarations.replace(RELATIVE_IMPORT_TYPE, (match, path: string) => {
    const absolute = resolve(cwd, path);
    return inside(absolute, own) ? `import("${absolute}")` : match;
  });
}

/** The inverse of absoluteImportTypes: made relative to `cwd` again, as TypeScript writes them. */
export function relativeImportTypes(declarations: string, cwd: string, own: readonly string[]): string {
  return declarations.replace(ABSOLUTE_IMPORT_TYPE, (match, path: string) => {
    if (!inside(path, own)) return match;
    const rel = relative(cwd, path).split(sep).join("/");
    return `import("${rel === ".." || rel.startsWith("../") ? rel : `./${rel}`}")`;
  });
}

/**
 * Whether declarations already name an own package's file by its absolute path (TypeScript does
 * not; a string literal type could): such text is neither looked up nor written, so that an
 * absolute path in a key or an entry always comes from absoluteImportTypes.
 */
export function namesOwnFilesAbsolutely(declarations: string, own: readonly string[]): boolean {
  for (const [, path] of declarations.matchAll(ABSOLUTE_IMPORT_TYPE)) if (inside(path, own)) return true;
  return false;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** How a converter compiles cells: what, besides the cell and the files it reads, decides the result. */
export interface CompileSetting {
  typescript: typeof ts;
  /** tslab's version */
  tslab: string;
  /** the converter's compiler options (lastCompilerOptions right after it was built) */
  options: ts.CompilerOptions;
  /** the folder it compiles cells in (tslab's current directory when it was built) */
  cwd: string;
}

/**
 * Versions, options (without the two that name the notebook's folder: tslab's rootDir and its
 * in-memory outDir) and the packages in each type root now (TypeScript includes them all, and
 * reads the folders again at each compile).
 */
export function compileContext({ typescript, tslab, options }: CompileSetting): string {
  const { rootDir: _rootDir, outDir: _outDir, ...rest } = options;
  const typeRoots = (options.typeRoots ?? []).map((root) => {
    let packages: string[] = [];
    try {
      packages = readdirSync(root).sort();
    } catch {
      // a type root that does not exist holds no packages
    }
    return [root, packages];
  });
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ typescript: typescript.version, tslab, options: sorted, typeRoots });
}

/** The key of a cell after `previous` (its declarations as tslab passes them, relative to the setting's folder). */
export function cellKey(setting: CompileSetting, previous: string, code: string): string {
  const own = ownFolders(setting.options);
  const declarations = absoluteImportTypes(previous, setting.cwd, own);
  return sha256(JSON.stringify([CACHE_FORMAT, compileContext(setting), declarations, code]));
}

function stampsHold(stamps: FileStamp[]): boolean {
  for (const [path, size, mtime] of stamps) {
    try {
      const stat = statSync(path);
      if (stat.size !== size || stat.mtimeMs !== mtime) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Reads entries (kernels). */
export class CompileCache {
  hits = 0;
  misses = 0;
  private readonly own: string[];

  constructor(
    private readonly dir: string,
    private readonly setting: CompileSetting,
  ) {
    this.own = ownFolders(setting.options);
  }

  /** The cell compiled as before, or undefined (no entry, or a file it read has changed). */
  lookup(previous: string, code: string): CompiledCell | undefined {
    let entry: Entry;
    let stamps: FileStamp[];
    try {
      if (namesOwnFilesAbsolutely(previous, this.own)) throw new Error("not a key absoluteImportTypes makes");
      const key = cellKey(this.setting, previous, code);
      entry = JSON.parse(readFileSync(join(this.dir, `${key}.json`), "utf8")) as Entry;
      if (entry.format !== CACHE_FORMAT || !/^[0-9a-f]+$/.test(entry.files)) throw new Error("another format");
      stamps = JSON.parse(readFileSync(join(this.dir, `files-${entry.files}.json`), "utf8")) as FileStamp[];
    } catch {
      this.misses++;
      return undefined;
    }
    if (!stampsHold(stamps)) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { ...entry.cell, declOutput: relativeImportTypes(entry.cell.declOutput, this.setting.cwd, this.own) };
  }
}

/**
 * Why a compiled cell is not written (undefined: it is). `program`: the cell's, as compiled;
 * `virtualFiles`: tslab's in-memory cell and declarations files.
 */
export function notCacheable(
  setting: CompileSetting,
  own: OwnPackages,
  previous: string,
  cell: CompiledCell & { code: string },
  program: ts.Program,
  virtualFiles: readonly string[],
): string | undefined {
  const { typescript, cwd } = setting;
  const folders = ownFolders(setting.options);
  if ([previous, cell.declOutput].some((text) => namesOwnFilesAbsolutely(text, folders)))
    return "its declarations name a file by an absolute path";
  // an import of "tslab" resolves to <folder>/node_modules/tslab (tslab forwards it): the folder check below refuses it
  for (const text of [cell.code, absoluteImportTypes(previous, cwd, folders)]) {
    const found = typescript.preProcessFile(text, true, true);
    if (found.referencedFiles.length + found.typeReferenceDirectives.length > 0) return "a reference directive";
    for (const { fileName } of found.importedFiles) {
      const ok = ownPackageOf(own, fileName) !== undefined || (isAbsolute(fileName) && inside(fileName, folders));
      if (!ok) return `an import of ${fileName}`;
    }
  }
  const notebookFolder = [cwd.endsWith(sep) ? cwd : cwd + sep];
  for (const file of program.getSourceFiles()) {
    if (virtualFiles.includes(file.fileName)) continue;
    if (!file.isDeclarationFile) return `a module that is not a declaration file (${file.fileName})`;
    if (inside(resolve(file.fileName), notebookFolder)) return `a file in the notebook's folder (${file.fileName})`;
  }
  return undefined;
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** Writes entries (the set-up's build-compile-cache). */
export class CompileCacheWriter {
  written = 0;

  constructor(
    private readonly dir: string,
    private readonly setting: CompileSetting,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /**
   * Writes what the cell after `previous` compiled to, with the files (not virtual ones) `program`
   * read; false (nothing written) if one of them changed after `compiledFrom` (a time in ms, taken
   * before the compile), so the stamps may not be those of what it read.
   */
  write(
    previous: string,
    code: string,
    cell: CompiledCell,
    program: ts.Program,
    virtualFiles: readonly string[],
    compiledFrom: number,
  ): boolean {
    const stamps: FileStamp[] = program
      .getSourceFiles()
      .map((file) => resolve(file.fileName))
      .filter((path) => !virtualFiles.includes(path))
      .sort()
      .map((path) => {
        const stat = statSync(path);
        return [path, stat.size, stat.mtimeMs];
      });
    if (stamps.some(([, , mtime]) => mtime >= compiledFrom)) return false;
    const stampsText = JSON.stringify(stamps);
    const files = sha256(stampsText).slice(0, 32);
    writeAtomically(join(this.dir, `files-${files}.json`), stampsText);
    const own = ownFolders(this.setting.options);
    const entry: Entry = {
      format: CACHE_FORMAT,
      files,
      cell: { ...cell, declOutput: absoluteImportTypes(cell.declOutput, this.setting.cwd, own) },
    };
    writeAtomically(join(this.dir, `${cellKey(this.setting, previous, code)}.json`), JSON.stringify(entry));
    this.written++;
    return true;
  }
}

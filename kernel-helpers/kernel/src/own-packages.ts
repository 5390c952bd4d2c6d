// A notebook in any folder imports "convlens" (issue 18): a student's home or a temp folder has
// no node_modules, so Node and TypeScript, which look for packages in node_modules folders above
// the notebook, would not find it. The kernel resolves convlens, and the packages it is built on
// that cells import too (@tensorflow/tfjs-node as `tf`, @tensorflow/tfjs, …), to its own copies:
// at compile time through the compiler's `paths` (fast-compile.ts hands them to tslab's
// converter) and at run time through Node's resolver.
//
// Its own copies even where the notebook's folder has other ones: a second convlens would have no
// kernel runtime to display through, and a second tfjs-node a second TensorFlow engine whose
// tensors the first one rejects.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import Module from "node:module";
import { dirname, join, resolve } from "node:path";
import { addCompilerOptions } from "./fast-compile";

/** Where a package is: its folder (real path), and the folder whose node_modules holds it. */
export interface OwnPackage {
  dir: string;
  base: string;
}

/** Package name → where it is, for the packages the kernel resolves to its own copies. */
export type OwnPackages = ReadonlyMap<string, OwnPackage>;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Where Node finds `name` from `from`: node_modules/<name> in `from` or the nearest folder above. */
export function findPackage(name: string, from: string): OwnPackage | undefined {
  for (let base = resolve(from); ; base = dirname(base)) {
    const candidate = join(base, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return { dir: realpathSync(candidate), base };
    if (dirname(base) === base) return undefined;
  }
}

/**
 * The package at `root` (convlens), its dependencies, and the @tensorflow packages those are
 * built on, each where Node finds it from its dependent. tslab is left out: tslab resolves
 * `import "tslab"` to its own API itself.
 */
export function ownPackages(root: string): OwnPackages {
  const rootDir = realpathSync(root);
  const found = new Map<string, OwnPackage>([[manifest(rootDir).name, { dir: rootDir, base: rootDir }]]);
  const dependencies = (dir: string) =>
    Object.keys(manifest(dir).dependencies ?? {}).map((name) => ({ name, from: dir }));
  const queue = dependencies(rootDir);
  for (let next = queue.shift(); next; next = queue.shift()) {
    if (found.has(next.name) || next.name === "tslab") continue;
    const where = findPackage(next.name, next.from);
    if (!where) continue; // not installed (optional): the import fails with Node's own message
    found.set(next.name, where);
    if (next.name.startsWith("@tensorflow/"))
      queue.push(...dependencies(where.dir).filter((d) => d.name.startsWith("@tensorflow/")));
  }
  return found;
}

/** The own package a module request names ("convlens", "@tensorflow/tfjs-node/dist/x"), if any. */
export function ownPackageOf(packages: OwnPackages, request: string): string | undefined {
  const scoped = request.startsWith("@");
  const name = request
    .split("/")
    .slice(0, scoped ? 2 : 1)
    .join("/");
  return packages.has(name) ? name : undefined;
}

/** TypeScript's `paths` option mapping each own package (and its subpaths) to its folder. */
export function compilerPaths(packages: OwnPackages): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const [name, { dir }] of packages) {
    paths[name] = [dir];
    paths[`${name}/*`] = [`${dir}/*`];
  }
  return paths;
}

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: { paths?: string[] }) => string;

/**
 * Makes Node's require resolve own packages to the copies ownPackages found: the package at `root`
 * by its folder, the others from the folder whose node_modules holds them (so their `exports`
 * still apply). Module._resolveFilename is the one resolver behind every require in the process
 * (it is what tsx, module-alias and tsconfig-paths hook too); Node 20 has no public synchronous
 * hook for CommonJS.
 */
export function resolveOwnPackages(root: string, packages: OwnPackages): void {
  const rootDir = realpathSync(root);
  const self = manifest(rootDir).name;
  const resolver = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = resolver._resolveFilename;
  resolver._resolveFilename = function (request, parent, isMain, options) {
    const name = ownPackageOf(packages, request);
    const own = name === undefined ? undefined : packages.get(name);
    if (!name || !own) return original.call(this, request, parent, isMain, options);
    if (name === self) return original.call(this, rootDir + request.slice(name.length), parent, isMain, options);
    return original.call(this, request, parent, isMain, { ...options, paths: [own.base] });
  };
}

/**
 * What the kernel (and the set-up compiling its cache, which must compile as the kernel does)
 * sets up before tslab's converter is built: the own packages of the package at `root`, resolved
 * by TypeScript through `paths` and, with `run`, by Node's require.
 */
export function useOwnPackages(root: string, run: boolean): OwnPackages {
  const own = ownPackages(root);
  if (run) resolveOwnPackages(root, own);
  addCompilerOptions({ paths: compilerPaths(own) });
  return own;
}

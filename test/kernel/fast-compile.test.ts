// tslab's converter with the abstract builder (fast-compile.ts): cells, local modules imported
// from cells (emitted and checked through getAllDependencies), and errors in them. Under tsx a
// local .ts module would load even if tslab had not emitted it, so emission is checked on the
// converter's own output.
// It is also the canary of the seam to TypeScript's internals (fast-compile.ts): after an upgrade
// of tslab's TypeScript, the first tests here name what moved.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { format } from "node:util";
import type * as ts from "@tslab/typescript-for-tslab";
import { createCellExecutor, tslabConverters } from "../../kernel-helpers/kernel/src/tslab";
import {
  fastBuilderProblem,
  missingTypescriptInternals,
  tslabTypescript,
} from "../../kernel-helpers/kernel/src/fast-compile";

const converters = tslabConverters();
const converter = converters.node;
const printed: string[] = [];
const errors: string[] = [];
const executor = createCellExecutor(process.cwd(), converters, {
  log: (...args: unknown[]) => printed.push(format(...args)),
  error: (...args: unknown[]) => errors.push(format(...args)),
});
// local modules must live under the kernel's working directory (tslab emits them relative to it)
const dir = mkdtempSync(join(process.cwd(), ".fast-compile-"));
after(() => {
  executor.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(code: string): Promise<{ ok: boolean; printed: string[]; errors: string[] }> {
  printed.length = errors.length = 0;
  const ok = await executor.execute(code);
  return { ok, printed: [...printed], errors: [...errors] };
}

test("tslab's TypeScript has every internal fast-compile uses", () => {
  assert.deepEqual(missingTypescriptInternals(tslabTypescript()), []);
});

test("tslab's converter was built with the abstract builder (the adapter installed fast-compile first)", () => {
  assert.equal(fastBuilderProblem(), null);
});

// The checks themselves can fail, and say which internal moved.
test("the TypeScript canary names exactly what moved", () => {
  const real = tslabTypescript();
  // as TypeScript 5.3 has it: resolutions moved off the SourceFile; and say the binder kept locals elsewhere
  const moved = {
    ...real,
    version: "5.3.3",
    versionMajorMinor: "5.3",
    createAbstractBuilder: undefined,
    bindSourceFile: () => undefined, // binds, but keeps the names somewhere else
    createProgram: (...args: Parameters<typeof real.createProgram>) => {
      const program = real.createProgram(...args);
      const hidden = { resolvedModules: { value: undefined }, locals: { value: undefined } };
      const strip = (file: ts.SourceFile | undefined) => file && (Object.create(file, hidden) as ts.SourceFile);
      return {
        ...program,
        getSourceFile: (name: string) => strip(program.getSourceFile(name)),
        getTypeChecker: () => program.getTypeChecker(),
      };
    },
  } as unknown as typeof ts;
  assert.deepEqual(missingTypescriptInternals(moved), [
    "TypeScript 5.3.3 is not 5.0, the version fast-compile knows",
    "TypeScript 5.3.3 no longer exports createAbstractBuilder",
    "TypeScript 5.3.3's SourceFile has no resolvedModules listing its imports (5.3 moved them to the program)",
    "TypeScript 5.3.3's binder no longer fills SourceFile.locals with a file's names (tslab's convert reads them)",
  ]);
});

test("cells compile, keep their names across cells, and report type errors", async () => {
  assert.deepEqual(await run("const base: number = 40;"), { ok: true, printed: [], errors: [] });
  assert.deepEqual((await run("base + 2")).printed, ["42"]);
  const bad = await run('const n: number = "forty";');
  assert.equal(bad.ok, false);
  assert.match(bad.errors.join("\n"), /Type 'string' is not assignable to type 'number'/);
});

test("a cell imports a local module that imports another; an error in the inner one is reported", async () => {
  writeFileSync(join(dir, "inner.ts"), "export const offset: number = 2;\n");
  writeFileSync(join(dir, "outer.ts"), 'import { offset } from "./inner";\nexport function shifted(x: number): number { return x + offset; }\n');
  const name = basename(dir);
  assert.deepEqual((await run(`import { shifted } from "./${name}/outer";\nshifted(40)`)).printed, ["42"]);

  writeFileSync(join(dir, "inner2.ts"), 'export const offset: number = "two";\n');
  writeFileSync(join(dir, "outer2.ts"), 'import { offset } from "./inner2";\nexport const total = offset;\n');
  const broken = await run(`import { total } from "./${name}/outer2";\ntotal`);
  assert.equal(broken.ok, false);
  assert.match(broken.errors.join("\n"), /inner2\.ts.*Type 'string' is not assignable to type 'number'/s);
});

test("tslab emits the local modules a cell depends on, through imports and /// references", () => {
  writeFileSync(join(dir, "three.ts"), "export const three = 3;\n");
  writeFileSync(join(dir, "shared.ts"), "const sharedNine = 9;\n");
  writeFileSync(join(dir, "nine.ts"), '/// <reference path="./shared.ts" />\nimport { three } from "./three";\nexport const nine = three * 3;\n');
  const converted = converter.convert("", `import { nine } from "./${basename(dir)}/nine";\nnine`);
  assert.deepEqual(converted.diagnostics, []);
  const emitted = (converted.sideOutputs ?? []).map((o) => o.path).sort();
  assert.deepEqual(emitted, ["nine.js", "shared.js", "three.js"].map((f) => join(dir, f)));
});

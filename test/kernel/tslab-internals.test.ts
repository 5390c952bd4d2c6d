// Canary of the tslab seam (kernel-helpers/kernel/src/tslab.ts): every internal of tslab that the
// kernel uses is still there with the shape it is used with, and behaves as the kernel expects
// (what goes to log() and error(), the diagnostics' format, the display hook). After an upgrade of
// tslab this is the one test that fails, and its message names what moved.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import {
  DIAGNOSTIC_FORMAT,
  TSLAB_FUNCTIONS,
  changedTslabSignatures,
  createCellExecutor,
  isCompleteCode,
  isDiagnostic,
  loadTslabModules,
  missingTslabInternals,
  routeTslabDisplay,
  tslabConverters,
  tslabVersion,
} from "../../kernel-helpers/kernel/src/tslab";
import { fastBuilderProblem } from "../../kernel-helpers/kernel/src/fast-compile";

const tslab = `tslab ${tslabVersion()}`;
const converters = tslabConverters();
const logged: unknown[] = [];
const printed: unknown[][] = [];
const executor = createCellExecutor(process.cwd(), converters, {
  log: (value) => logged.push(value),
  error: (...args) => printed.push(args),
});
after(() => executor.close());

async function run(code: string): Promise<{ ok: boolean; logged: unknown[]; printed: unknown[][] }> {
  logged.length = printed.length = 0;
  const ok = await executor.execute(code);
  return { ok, logged: [...logged], printed: [...printed] };
}

test("tslab has every module and function the adapter uses, with the parameters it passes", () => {
  const modules = loadTslabModules();
  const missing = missingTslabInternals(modules);
  assert.deepEqual(missing, [], `${tslab}:\n${missing.join("\n")}`);
  const changed = changedTslabSignatures(modules);
  assert.deepEqual(changed, [], `${tslab}:\n${changed.join("\n")}`);
});

test("loading the adapter installed fast-compile before tslab's converter loaded TypeScript", () => {
  converters.node; // built on first use
  assert.equal(fastBuilderProblem(), null);
});

test("the converter converts a tiny cell: JavaScript, declarations, the last expression's name", () => {
  const converted = converters.node.convert("", "const half: number = 21;\nhalf * 2");
  assert.deepEqual(converted.diagnostics, [], `${tslab}: a valid cell has diagnostics`);
  assert.match(converted.output ?? "", /half/, `${tslab}: convert() gives no output`);
  assert.match(
    converted.declOutput ?? "",
    /half: number/,
    `${tslab}: convert() gives no declarations of the cell's names`,
  );
  assert.ok(converted.lastExpressionVar, `${tslab}: convert() names no variable for the last expression`);
});

test("the executor runs 1 + 1: true, and the value goes to log()", async () => {
  assert.deepEqual(await run("1 + 1"), { ok: true, logged: [2], printed: [] });
});

test("a cell's names carry to the next; completion and quick info find them", async () => {
  assert.equal((await run("const canaryValue: number = 40;")).ok, true);
  assert.deepEqual((await run("canaryValue + 2")).logged, [42]);
  const completion = executor.complete("canaryV", 7);
  assert.ok(completion.candidates.includes("canaryValue"), `${tslab}: complete() misses canaryValue`);
  assert.deepEqual([completion.start, completion.end], [0, 7]);
  assert.match(executor.inspect("canaryValue", 3) ?? "(nothing)", /const canaryValue: number/);
  assert.equal(executor.inspect("   ", 1), undefined, "nothing at the position: undefined");
});

test("a type error goes to error() in tslab's diagnostic format, and the cell fails", async () => {
  const bad = await run('const wrong: number = "text";');
  assert.equal(bad.ok, false);
  assert.equal(bad.printed.length, 1);
  assert.ok(
    isDiagnostic(bad.printed[0]),
    `${tslab} prints diagnostics as ${JSON.stringify(bad.printed[0][0])}, not ${DIAGNOSTIC_FORMAT}`,
  );
  assert.match(String(bad.printed[0][4]), /not assignable to type 'number'/);
});

test("a thrown error goes to error() as the one argument, and the cell fails", async () => {
  const thrown = await run('throw new RangeError("too far")');
  assert.equal(thrown.ok, false);
  assert.equal(thrown.printed.length, 1);
  assert.equal(thrown.printed[0].length, 1);
  assert.ok(thrown.printed[0][0] instanceof RangeError, `${tslab}: error() got ${String(thrown.printed[0][0])}`);
});

test("interrupt() stops awaiting a cell that never settles: it fails with an error", async () => {
  const running = run("await new Promise(() => {});");
  await new Promise((r) => setTimeout(r, 20));
  executor.interrupt();
  const result = await running;
  assert.equal(result.ok, false);
  assert.match(String(result.printed[0]?.[0]), /Interrupted/);
});

test("isCompleteCode tells complete from incomplete code, with the next line's indent", () => {
  assert.deepEqual(isCompleteCode("function f() {"), { completed: false, indent: "  " });
  assert.equal(isCompleteCode("f()").completed, true);
});

test("tslab.display writes through the hook the adapter routes", () => {
  const written: [unknown, boolean][] = [];
  routeTslabDisplay((data, update) => written.push([data, update]));
  // what a cell gets for `import * as tslab from "tslab"`: tslab's public entry
  const publicApi = require("tslab") as typeof import("tslab");
  publicApi.display.html("<b>bold</b>");
  const shown = publicApi.newDisplay();
  shown.text("one");
  shown.text("two");
  assert.equal(written.length, 3, `${tslab}: tslab.display does not write through jupyter.lastWriteDisplayData`);
  assert.deepEqual(written[0][0], {
    data: { "text/html": "<b>bold</b>" },
    metadata: {},
    transient: { display_id: undefined },
  });
  assert.deepEqual(
    written.map(([, update]) => update),
    [false, false, true],
  );
});

// The checks themselves can fail, and say which internal moved.
test("the canary names exactly what moved", () => {
  const real = loadTslabModules() as Record<string, Record<string, unknown>>;
  const { createConverter, ...converterWithout } = real.converter;
  assert.ok(createConverter);
  assert.deepEqual(
    missingTslabInternals({
      ...real,
      converter: converterWithout,
      inspect: undefined,
      jupyter: { ZmqServer: real.jupyter.ZmqServer },
    }),
    [
      "tslab's converter no longer exports createConverter",
      "tslab has no dist/inspect module",
      "tslab's jupyter no longer exports lastWriteDisplayData (the hook tslab.display writes through)",
    ],
  );
  assert.deepEqual(changedTslabSignatures({ ...real, executor: { createExecutor: (rootDir: string) => rootDir } }), [
    "tslab's executor.createExecutor takes 1 parameters, not 3 (rootDir, converters, console)",
  ]);
  const all = Object.values(TSLAB_FUNCTIONS).flatMap((functions) => Object.keys(functions));
  assert.equal(
    missingTslabInternals({}).length,
    Object.keys(TSLAB_FUNCTIONS).length,
    "each module missing is one sentence",
  );
  assert.ok(all.length >= 5);
});

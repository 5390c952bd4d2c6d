// What the kernel does while it starts, before it answers its first request, so that a
// notebook's first cells do not pay for first times (issue 18). In a class of 16 students who
// open the notebook one by one and then run a cell together at the teacher's word, that CPU is
// spent while they open it, not all at once on 2 cores. Three parts:
//  - load tfjs-node (libtensorflow) and convlens, and compile an import of them (TypeScript
//    reading ~800 declaration files): ~2 s of CPU, the first cell's otherwise;
//  - compile, without running, an import cell and then a cell that uses convlens as the
//    notebooks do (TYPICAL_IMPORTS, TYPICAL_CELL): each cell gets a new TypeScript checker, but
//    V8 compiles TypeScript's own functions on their first call, and a cell with awaits,
//    destructuring and top-level declarations of convlens's types reaches many that an import
//    does not. Two cells, as a notebook's: a cell after one whose imports differ makes
//    TypeScript walk its ~800 declaration files again for the new program (notebook 01's seed
//    cell after its import: ~0.44 → ~0.40 s of kernel CPU alone, six kernels each, 2026-12-01);
//  - run convlens's main paths on a tiny model (convlens/dist/warm-up).
// A failure here is left to the cells that do the same, which report it.
import type { Converters } from "./tslab";
import { precompile } from "./tslab";

/** What a convlens notebook's first cell imports. */
export const FIRST_IMPORTS = ["convlens", "@tensorflow/tfjs-node"];

/** The imports of a typical notebook's first cell (compiled, never run, at start). */
export const TYPICAL_IMPORTS = `import * as tf from "@tensorflow/tfjs-node";
import { convLayers, explore, featureMaps, filters, loadImage, showFeatureMaps, showFilters, summary } from "convlens";`;

/**
 * A cell as notebooks write them, after TYPICAL_IMPORTS, compiled (never run) at start. It must
 * compile without diagnostics: a cell with errors stops before the emit, and the emit is part of
 * what it warms.
 */
export const TYPICAL_CELL = `const model: tf.LayersModel = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3 })] });
console.log(summary(model).text);
const image = await loadImage("image.png");
const layer = convLayers(model)[0].index;
const [maps] = await featureMaps(model, image, layer);
const grid = await showFeatureMaps(maps, { image, columns: 8, pageSize: 64 });
const weights = filters(model, layer);
const filterGrid = await showFilters(weights);
const explorer = await explore(model, image, { layer });`;

/** What the warm-up did, for the kernel's log. */
export interface WarmUpReport {
  milliseconds: number;
  /** Diagnostics compiling the imports and TYPICAL_CELL (0 unless convlens's API changed). */
  diagnostics: number;
}

/** The three parts above; throws what the first failing part threw. */
export async function warmUp(converters: Converters): Promise<WarmUpReport> {
  const started = performance.now();
  for (const name of FIRST_IMPORTS) require(name);
  const imports = FIRST_IMPORTS.map((name, i) => `import * as m${i} from ${JSON.stringify(name)};`).join("\n");
  let diagnostics = precompile(converters, imports).diagnostics;
  // as a notebook's cells compile: the imports, then a cell that sees them through their declarations
  const first = precompile(converters, TYPICAL_IMPORTS);
  diagnostics += first.diagnostics + precompile(converters, TYPICAL_CELL, first.declarations).diagnostics;
  const { warmUpPaths } = require("convlens/dist/warm-up") as typeof import("convlens/dist/warm-up");
  await warmUpPaths();
  return { milliseconds: Math.round(performance.now() - started), diagnostics };
}

// V8 tiering for a notebook kernel: only code that runs long is optimised.
//
// V8 hands a function to its optimising compiler, TurboFan, once the function has run through a
// budget of bytecode (--interrupt-budget: 66 KB in Node 20); TurboFan compiles on helper threads.
// In this kernel most code runs briefly, and differently in every cell: TypeScript checking the
// cell (a new checker per cell), tslab, the set-up of each convlens call. Measured on 2 cores
// (Node 20, four runs each): the helper threads spent ~0.25 s of CPU on every seed cell, whose
// main thread was no faster for it; with the budget below, the seed cell's kernel CPU went from
// ~0.75 s to ~0.5 s (wall time 0.54 → 0.43 s), the import cell's 0.27 → 0.11 s, the explorer
// cell's 0.62 → 0.38 s, and the kernel's warm-up used less CPU too. That CPU is what a class of
// students running a cell together queues for on the teacher's machine (issue 18). Loops over
// millions of values (quantising planes, the PNG montage) still reach TurboFan within their first
// call, by on-stack replacement.
//
// Set from the launcher at start, not in the kernelspec's argv: every way of starting the kernel
// gets it, and a Node whose V8 no longer has the flag ignores it instead of refusing to start.
import { setFlagsFromString } from "node:v8";

/** Bytes of bytecode a function runs through before V8 considers optimising it. */
export const INTERRUPT_BUDGET = 512 * 1024;

/** The V8 flag the kernel runs with. */
export const TIERING_FLAG = `--interrupt-budget=${INTERRUPT_BUDGET}`;

setFlagsFromString(TIERING_FLAG);

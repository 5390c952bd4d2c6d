// The kernel's V8 tiering (tiering.ts): a function called a few hundred times, as cell-compiling
// code is, stays out of TurboFan once the module has set the flag at run time, while without
// it V8 optimises the same function. Read with V8's %GetOptimizationStatus in a child process
// (natives syntax), on the same Node the kernel runs on. It is also the canary for a Node whose
// V8 ignores the flag (setFlagsFromString does not fail on a flag it does not know).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const TIERING = join(__dirname, "..", "..", "kernel-helpers", "kernel", "src", "tiering.ts");

/** V8's optimisation status bits (test/mjsunit/mjsunit.js) for "optimised, or queued for it". */
const OPTIMISED_OR_QUEUED =
  (1 << 4) | // kOptimized
  (1 << 5) | // kMaglevved
  (1 << 6) | // kTurboFanned
  (1 << 8) | // kMarkedForOptimization
  (1 << 9) | // kMarkedForConcurrentOptimization
  (1 << 10); // kOptimizingConcurrently

/** The status of a small function after `calls` calls, in a fresh Node, with or without tiering.ts. */
function statusAfter(calls: number, withTiering: boolean): number {
  const script = `
    ${withTiering ? `require(${JSON.stringify(TIERING)});` : ""}
    function moderate(n) { let s = 0; for (let i = 0; i < 20; i++) s += (n * i) % 7; return s; }
    let total = 0;
    for (let k = 0; k < ${calls}; k++) total += moderate(k);
    console.log(JSON.stringify({ total, status: %GetOptimizationStatus(moderate) }));`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--allow-natives-syntax", "-e", script], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  const { status } = JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as { status: number };
  assert.ok(status & 1, `not a function's status: ${status}`);
  return status;
}

test("a function called 400 times is left to the interpreter with the kernel's tiering, and optimised without it", () => {
  const without = statusAfter(400, false);
  assert.notEqual(
    without & OPTIMISED_OR_QUEUED,
    0,
    `V8 did not optimise without the flag (status ${without.toString(2)}): the test proves nothing`,
  );
  const withTiering = statusAfter(400, true);
  assert.equal(
    withTiering & OPTIMISED_OR_QUEUED,
    0,
    `optimised or queued despite tiering.ts (status ${withTiering.toString(2)})`,
  );
});

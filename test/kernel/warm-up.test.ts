// The kernel's warm-up compiles TYPICAL_CELL at start: it must compile without diagnostics (a cell
// with errors stops before the emit, which is part of what the warm-up is for). A change of
// convlens's API that breaks it fails here, not silently in every kernel's start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { format } from "node:util";
import { tslabConverters } from "../../kernel-helpers/kernel/src/tslab";
import { TYPICAL_CELL } from "../../kernel-helpers/kernel/src/warm-up";

test("the warm-up's typical cell compiles without diagnostics", () => {
  const converters = tslabConverters();
  try {
    const { diagnostics, output } = converters.node.convert("", TYPICAL_CELL);
    assert.deepEqual(
      diagnostics.map((d) => format("%d: %s", d.start, d.messageText)),
      [],
    );
    assert.ok(output?.includes("featureMaps"), "no JavaScript emitted");
  } finally {
    converters.close();
  }
});

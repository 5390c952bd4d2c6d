// The kernel's warm-up compiles TYPICAL_IMPORTS and then TYPICAL_CELL at start, as a notebook's
// cells compile (the second sees the first's declarations): both must compile without diagnostics (a cell
// with errors stops before the emit, which is part of what the warm-up is for). A change of
// convlens's API that breaks it fails here, not silently in every kernel's start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { format } from "node:util";
import { precompile, tslabConverters } from "../../kernel-helpers/kernel/src/tslab";
import { TYPICAL_CELL, TYPICAL_IMPORTS } from "../../kernel-helpers/kernel/src/warm-up";

test("the warm-up's typical cells compile without diagnostics, the second after the first", () => {
  const converters = tslabConverters();
  try {
    const imports = precompile(converters, TYPICAL_IMPORTS);
    assert.equal(imports.diagnostics, 0);
    assert.match(imports.declarations, /from "convlens"/);
    const { diagnostics, output } = converters.node.convert(imports.declarations, TYPICAL_CELL);
    assert.deepEqual(
      diagnostics.map((d) => format("%d: %s", d.start, d.messageText)),
      [],
    );
    assert.ok(output?.includes("featureMaps"), "no JavaScript emitted");
  } finally {
    converters.close();
  }
});

// Widget state that notebooks saved before the arrangement had its own key: `layout` held
// "stacked" | "tabs", the key ipywidgets keeps for a Layout model reference.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renameOldLayout } from "../../widgets/src/state";

test("a saved plain-string layout becomes the arrangement, and layout goes", () => {
  const panels = [{ kind: "maps" }];
  assert.deepEqual(renameOldLayout({ title: "", layout: "tabs", panels }), { title: "", arrangement: "tabs", panels });
  assert.deepEqual(renameOldLayout({ layout: "stacked" }), { arrangement: "stacked" });
});

test("a Layout model reference stays; an arrangement already there wins; an unknown string is only dropped", () => {
  const reference = { layout: "IPY_MODEL_0123", arrangement: "tabs" };
  assert.equal(renameOldLayout(reference), reference);
  assert.deepEqual(renameOldLayout({ layout: "stacked", arrangement: "tabs" }), { arrangement: "tabs" });
  assert.deepEqual(renameOldLayout({ layout: "grid" }), {});
  const current = { arrangement: "stacked" };
  assert.equal(renameOldLayout(current), current, "new state passes through untouched");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { expandShorthandProperties } from "../../kernel-helpers/kernel/src/shorthand";

test("shorthand properties are spelled out", () => {
  assert.equal(expandShorthandProperties("f({ image, title })"), "f({ image: image, title: title })");
  assert.equal(expandShorthandProperties("const o = { a, b: 2, ...c };"), "const o = { a: a, b: 2, ...c };");
  assert.equal(expandShorthandProperties("({ a, b } = obj);"), "({ a: a, b: b } = obj);");
});

test("everything else is left as it is", () => {
  for (const code of [
    "const { image } = obj;",
    "function f({ a, b }: { a: number; b: number }) { return a + b; }",
    "({ a = 1 } = obj);",
    "const s = '{ image }';",
    "type T = { image: number };",
    "import { image } from './x';",
  ]) {
    assert.equal(expandShorthandProperties(code), code);
  }
});

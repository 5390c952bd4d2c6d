import { test } from "node:test";
import assert from "node:assert/strict";
import { dequantise, planeMeans, quantisePlanes } from "../../kernel-helpers/src/display/quantise";

test("each plane is quantised over its own range, within half a step of the float", () => {
  // plane 0 spans -1..3, plane 1 spans 100..100.5: per-plane ranges keep the small one's detail
  const data = Float32Array.from([-1, 0, 1.7, 3, 100, 100.1, 100.25, 100.5]);
  const q = quantisePlanes(data, 2, 4);
  assert.deepEqual(Array.from(q.offset), [-1, 100]);
  assert.equal(q.scale[0], Math.fround(4 / 255));
  assert.equal(q.codes[0], 0);
  assert.equal(q.codes[3], 255);
  assert.equal(q.codes[4], 0);
  assert.equal(q.codes[7], 255);
  for (let p = 0; p < 2; p++) {
    for (let i = 0; i < 4; i++) {
      const error = Math.abs(dequantise(q, p, i, 4) - data[p * 4 + i]);
      assert.ok(error <= q.scale[p] / 2 + 1e-6, `plane ${p} value ${i} off by ${error}`);
    }
  }
});

test("a constant plane gets scale 0 and code 0; its value comes back exactly", () => {
  const q = quantisePlanes(Float32Array.from([2.5, 2.5, 2.5]), 1, 3);
  assert.equal(q.scale[0], 0);
  assert.deepEqual(Array.from(q.codes), [0, 0, 0]);
  assert.equal(dequantise(q, 0, 1, 3), 2.5);
});

test("non-finite values are left out of the range: NaN → 0, +Infinity → 255", () => {
  const q = quantisePlanes(Float32Array.from([NaN, 0, 1, Infinity, -Infinity]), 1, 5);
  assert.equal(q.offset[0], 0);
  assert.equal(q.scale[0], Math.fround(1 / 255));
  assert.deepEqual(Array.from(q.codes), [0, 0, 255, 255, 0]);
  assert.ok(q.codes instanceof Uint8Array && !(q.codes instanceof Uint8ClampedArray), "plain uint8 on the wire");
});

test("a length that does not match count × planeSize is refused with both numbers", () => {
  assert.throws(() => quantisePlanes(new Float32Array(7), 2, 4), /7 values cannot be 2 planes of 4/);
});

test("plane means", () => {
  assert.deepEqual(Array.from(planeMeans(Float32Array.from([1, 3, -2, -4]), 2, 2)), [2, -3]);
});

// ipywidgets' remove_buffers / put_buffers rules, with their edge cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { putBuffers, removeBuffers } from "../../kernel-helpers/src/runtime/buffers";

test("a top-level typed array is removed from the state and listed by key", () => {
  const data = new Float32Array([1.5, -2]);
  const split = removeBuffers({ value: 3, data });
  assert.deepEqual(split.state, { value: 3 });
  assert.deepEqual(split.buffer_paths, [["data"]]);
  assert.equal(split.buffers[0], data);
});

test("nested objects and arrays: objects lose the key, arrays get null", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Int32Array([7]);
  const c = new DataView(new ArrayBuffer(4));
  const state = { x: { y: { z: a, keep: "k" } }, list: [1, b, { deep: [c] }] };
  const split = removeBuffers(state);
  assert.deepEqual(split.state, { x: { y: { keep: "k" } }, list: [1, null, { deep: [null] }] });
  assert.deepEqual(split.buffer_paths, [["x", "y", "z"], ["list", 1], ["list", 2, "deep", 0]]);
  assert.deepEqual(split.buffers, [a, b, c]);
});

test("the caller's state is not modified and unchanged branches are shared", () => {
  const shared = { a: [1, 2, 3] };
  const state = { shared, bin: { v: new Uint16Array([1]) } };
  const split = removeBuffers(state);
  assert.ok(state.bin.v instanceof Uint16Array, "original kept its buffer");
  assert.equal(split.state.shared, shared);
  assert.notEqual(split.state.bin, state.bin);
});

test("a subarray sends only its own bytes, not the whole underlying ArrayBuffer", () => {
  const whole = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
  const part = whole.subarray(2, 5);
  const split = removeBuffers({ part });
  const sent = split.buffers[0];
  assert.equal(sent.byteLength, 3);
  assert.deepEqual([...new Uint8Array(sent.buffer, sent.byteOffset, sent.byteLength)], [2, 3, 4]);
});

test("a bare ArrayBuffer and a Node Buffer count as binary; Dates go through toJSON", () => {
  const when = new Date(0);
  const split = removeBuffers({ ab: new ArrayBuffer(2), nb: Buffer.from("hi"), when });
  assert.deepEqual(split.buffer_paths, [["ab"], ["nb"]]);
  assert.equal(split.state.when, when.toJSON());
  assert.ok(ArrayBuffer.isView(split.buffers[0]));
});

test("state without binary values comes back as is, with no paths", () => {
  const state = { a: 1, b: [true, null, "s"], c: { d: null } };
  const split = removeBuffers(state);
  assert.equal(split.state, state);
  assert.deepEqual(split.buffer_paths, []);
});

test("putBuffers is the inverse of removeBuffers (as DataViews)", () => {
  const a = new Float64Array([Math.PI]);
  const split = removeBuffers({ m: { arr: [0, a] }, top: new Uint8Array([9]) });
  const views = split.buffers.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
  const state = putBuffers(JSON.parse(JSON.stringify(split.state)), split.buffer_paths, views);
  const m = state.m as { arr: unknown[] };
  assert.ok(m.arr[1] instanceof DataView);
  assert.equal((m.arr[1] as DataView).getFloat64(0, true), Math.PI);
  assert.equal((state.top as DataView).getUint8(0), 9);
});

test("putBuffers rejects paths that do not lead into the state, with the path in the message", () => {
  const view = new DataView(new ArrayBuffer(1));
  assert.throws(() => putBuffers({ a: 1 }, [["a", "b", "c"]], [view]), /buffer path \["a","b","c"\] does not lead into the state/);
  assert.throws(() => putBuffers({}, [["x"]], []), /1 buffer_paths but only 0 buffers/);
  assert.throws(() => putBuffers({}, [["__proto__", "x"]], [view]), /invalid key "__proto__"/);
  assert.throws(() => putBuffers({}, [[]], [view]), /not a non-empty list/);
});

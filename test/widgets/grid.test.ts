// The front end's pure layout and data helpers, in Node: where a grid page's tiles land on the
// figure's one pair of axes, and the thinned rows a tile is drawn from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GAP_PX, gridGeometry, TITLE_PX } from "../../widgets/src/grid-geometry";
import { planeRows, type Planes } from "../../widgets/src/state";

/** Pixels from the left of an x value, as Plotly maps a linear axis: range[0] at the left edge. */
const toPx = (value: number, range: [number, number], pixels: number) => ((value - range[0]) / (range[1] - range[0])) * pixels;
/** Pixels from the top of a y value: Plotly puts range[0] at the bottom (a reversed range puts row 0 on top). */
const toPxDown = (value: number, range: [number, number], pixels: number) => toPx(value, [range[1], range[0]], pixels);

test("64 tiles of 224×224 in 8 columns of 88 px: each tile fills its own 88 px box, in reading order, with room for its title", () => {
  const g = gridGeometry(64, 8, 88, 224, 224);
  assert.deepEqual([g.dy, g.dx], [3, 3]);
  assert.equal(g.width, 8 * (88 + GAP_PX));
  assert.equal(g.height, 8 * (88 + TITLE_PX + GAP_PX));
  for (const i of [0, 1, 7, 8, 37, 63]) {
    const { x, y } = g.origin(i);
    const [col, row] = [i % 8, Math.floor(i / 8)];
    // a tile's 75 cells of 3 source pixels each, from origin − stride/2
    const left = toPx(x - g.dx / 2, g.xRange, g.width);
    const right = toPx(x - g.dx / 2 + 75 * g.dx, g.xRange, g.width);
    const top = toPxDown(y - g.dy / 2, g.yRange, g.height);
    const bottom = toPxDown(y - g.dy / 2 + 75 * g.dy, g.yRange, g.height);
    const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
    assert.ok(near(left, col * (88 + GAP_PX)) && near(right, left + 88), `tile ${i} spans x ${left}–${right}`);
    assert.ok(near(top, row * (88 + TITLE_PX + GAP_PX) + TITLE_PX) && near(bottom, top + 88), `tile ${i} spans y ${top}–${bottom}`);
    const title = g.title(i);
    assert.ok(near(toPx(title.x, g.xRange, g.width), left + 44), "the title is centred over its tile");
    assert.ok(near(toPxDown(title.y, g.yRange, g.height), top - TITLE_PX / 2), "the title sits in the band above its tile");
  }
});

test("a map smaller than its tile is drawn whole (stride 1); a non-square one gets a stride per axis", () => {
  const small = gridGeometry(4, 2, 88, 56, 56);
  assert.deepEqual([small.dy, small.dx], [1, 1]);
  const g = gridGeometry(3, 3, 64, 300, 100);
  assert.deepEqual([g.dy, g.dx], [5, 2]);
});

function planes(exact: boolean): Planes {
  const [count, height, width] = [2, 7, 10];
  const codes = Uint8Array.from({ length: count * height * width }, (_, i) => (i * 37) % 256);
  const scale = Float32Array.of(0.5, 0.25);
  const offset = Float32Array.of(-3, 10);
  const values = Float32Array.from(codes, (c, i) => offset[Math.floor(i / 70)] + scale[Math.floor(i / 70)] * c + (exact ? 0.001 : 0));
  return { count, height, width, codes, scale, offset, exact: exact ? values : null };
}

for (const exact of [false, true]) {
  test(`planeRows thinned is exactly every stride-th row and column of the whole plane (${exact ? "exact values" : "uint8 codes"})`, () => {
    const p = planes(exact);
    const whole = planeRows(p, 1).map((row) => Array.from(row));
    assert.equal(whole.length, 7);
    assert.equal(whole[0].length, 10);
    assert.equal(whole[2][3], Math.fround(p.offset[1] + p.scale[1] * p.codes[70 + 2 * 10 + 3] + (exact ? 0.001 : 0)));
    for (const [dy, dx] of [[1, 1], [2, 3], [3, 1], [1, 4], [7, 10]]) {
      const thin = planeRows(p, 1, dy, dx).map((row) => Array.from(row));
      const want = whole.filter((_, y) => y % dy === 0).map((row) => row.filter((_, x) => x % dx === 0));
      assert.deepEqual(thin, want, `strides ${dy}×${dx}`);
    }
  });
}

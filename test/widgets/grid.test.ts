// The front end's pure layout and data helpers, in Node: where a grid page's tiles land in its
// mosaic, and the thinned rows a tile is drawn from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GAP_PX, gridGeometry, TITLE_PX } from "../../widgets/src/grid-geometry";
import { planeRows, type Planes } from "../../widgets/src/state";

test("64 tiles of 224×224 in 8 columns of 88 px: every source-thinned cell of every tile has its own mosaic cell, and gaps are gaps", () => {
  const g = gridGeometry(64, 8, 88, 224, 224);
  assert.deepEqual([g.dy, g.dx, g.tileRows, g.tileCols], [3, 3, 75, 75]);
  // 75 cells in 88 px: a cell is ~1.17 px, so a 6 px gap is 5 cells and a 16 px title band 14
  assert.deepEqual([g.gapCols, g.gapRows, g.titleRows], [5, 5, 14]);
  assert.equal(g.cols, 8 * 75 + 7 * 5);
  assert.equal(g.rows, 8 * (14 + 75) + 7 * 5);
  assert.ok(Math.abs(g.width - 8 * (88 + GAP_PX)) <= 8, `about 8 tiles and 7 gaps wide: ${g.width} px`);
  assert.ok(Math.abs(g.height - 8 * (88 + TITLE_PX + GAP_PX)) <= 8, `about 8 tiles, titles and gaps high: ${g.height} px`);
  const seen = new Set<string>();
  let gaps = 0;
  for (let row = 0; row < g.rows; row++) {
    for (let col = 0; col < g.cols; col++) {
      const cell = g.at(row, col);
      if (!cell) {
        gaps++;
        continue;
      }
      const key = `${cell.tile}:${cell.row}:${cell.col}`;
      assert.ok(!seen.has(key), `${key} shown twice`);
      seen.add(key);
      const o = g.origin(cell.tile);
      assert.deepEqual([o.row + cell.row / 3, o.col + cell.col / 3], [row, col], "origin + source position / stride is the cell");
    }
  }
  assert.equal(seen.size, 64 * 75 * 75, "every drawn cell of every tile, once");
  assert.equal(gaps, g.rows * g.cols - 64 * 75 * 75);
  assert.deepEqual(g.origin(9), { row: 14 + 75 + 5 + 14, col: 80 }, "tile 9 is the second of the second row, under its title band");
  const title = g.title(9);
  assert.deepEqual([title.x, title.y], [80 + 37, 14 + 75 + 5 + 14 - 0.5 - 7], "its title is centred over it, in the band above");
});

test("the last row may be short; a map smaller than its tile is drawn whole; a non-square one gets a stride per axis", () => {
  const g = gridGeometry(10, 8, 88, 56, 56);
  assert.deepEqual([g.dy, g.dx, g.tileRows], [1, 1, 56]);
  assert.equal(g.at(g.origin(9).row, g.origin(9).col)?.tile, 9);
  assert.equal(g.at(g.origin(9).row, g.origin(9).col + 56 + g.gapCols), null, "no tile 10");
  const odd = gridGeometry(3, 3, 64, 300, 100);
  assert.deepEqual([odd.dy, odd.dx, odd.tileRows, odd.tileCols], [5, 2, 60, 50]);
  assert.deepEqual(odd.at(odd.origin(2).row + 59, odd.origin(2).col + 49), { tile: 2, row: 295, col: 98 });
});

test("3×3 kernels in 56 px tiles: each weight is repeated so gaps and titles stay near 6 and 16 px; 1×1 kernels too", () => {
  for (const [size, rep] of [[3, 6], [1, 18], [7, 2]]) {
    const g = gridGeometry(18, 3, 56, size, size);
    assert.deepEqual([g.dy, g.repY, g.repX, g.tileRows], [1, rep, rep, size * rep], `${size}×${size}`);
    const cellPx = 56 / g.tileRows;
    assert.ok(Math.abs(g.gapCols * cellPx - GAP_PX) <= cellPx / 2 + 1e-9, `${size}×${size}: a gap of ${g.gapCols * cellPx} px`);
    assert.ok(Math.abs(g.titleRows * cellPx - TITLE_PX) <= cellPx / 2 + 1e-9, `${size}×${size}: a title band of ${g.titleRows * cellPx} px`);
    for (const t of [0, 4, 17]) {
      for (let row = 0; row < size; row++) {
        for (let col = 0; col < size; col++) {
          const { x, y } = g.cellOf(t, row, col);
          assert.deepEqual(g.at(Math.round(y), Math.round(x)), { tile: t, row, col }, `the middle of weight (${row}, ${col}) of tile ${t}`);
          const o = g.origin(t);
          assert.deepEqual(g.at(o.row + row * rep + rep - 1, o.col + col * rep), { tile: t, row, col }, "every repeat shows the same weight");
        }
      }
    }
  }
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

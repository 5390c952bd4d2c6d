// The input image beside a grid, with what the grid's hover and choices draw on it: the receptive
// field of the unit under the mouse (a box), and a feature map laid over the image at a chosen
// opacity (resized to the image by the browser, like keract's heatmaps).
import { colourAt } from "./colours";
import { el, pngUrl } from "./dom";
import type { ColourScale, MapsPanel } from "./state";

export type ReceptiveFields = NonNullable<MapsPanel["receptive_field"]>;

/** One plane to lay over the image: values row by row, and the range mapped onto the colour scale. */
export interface OverlayPlane {
  height: number;
  width: number;
  value(row: number, col: number): number;
  zmin: number;
  zmax: number;
}

export interface ImageFrame {
  element: HTMLElement;
  /** draws the box of the input pixels that reach unit (row, col); hides it where only padding does */
  showField(row: number, col: number): void;
  hideField(): void;
  /** lays `plane` over the image (null removes it) */
  overlay(plane: OverlayPlane | null, colourScale: ColourScale, opacity: number): void;
  dispose(): void;
}

export function imageFrame(png: Uint8Array, fields: ReceptiveFields | null): ImageFrame {
  const element = el("div", "convlens-image-frame");
  const url = pngUrl(png);
  const img = el("img", "convlens-input-image");
  img.src = url;
  img.alt = "input image";
  const canvas = el("canvas", "convlens-overlay");
  canvas.hidden = true;
  const box = el("div", "convlens-rf-box");
  box.hidden = true;
  element.append(img, canvas, box);
  return {
    element,
    showField(row, col) {
      if (!fields) return;
      const [top, bottom, left, right] = [fields.rows[2 * row], fields.rows[2 * row + 1], fields.cols[2 * col], fields.cols[2 * col + 1]];
      if (top === undefined || left === undefined || top < 0 || left < 0) {
        box.hidden = true;
        return;
      }
      // in percent of the model's input, which the image shown covers whatever its own size
      const { input_height: h, input_width: w } = fields;
      box.style.top = `${(100 * top) / h}%`;
      box.style.left = `${(100 * left) / w}%`;
      box.style.height = `${(100 * (bottom - top + 1)) / h}%`;
      box.style.width = `${(100 * (right - left + 1)) / w}%`;
      Object.assign(box.dataset, { row: String(row), col: String(col), top: String(top), bottom: String(bottom), left: String(left), right: String(right) });
      box.hidden = false;
    },
    hideField() {
      box.hidden = true;
    },
    overlay(plane, colourScale, opacity) {
      canvas.hidden = plane === null;
      if (!plane) return;
      canvas.width = plane.width;
      canvas.height = plane.height;
      const context = canvas.getContext("2d");
      if (!context) return;
      const pixels = context.createImageData(plane.width, plane.height);
      const span = plane.zmax > plane.zmin ? plane.zmax - plane.zmin : 1;
      for (let y = 0, i = 0; y < plane.height; y++) {
        for (let x = 0; x < plane.width; x++, i += 4) {
          const [r, g, b] = colourAt(colourScale, (plane.value(y, x) - plane.zmin) / span);
          pixels.data.set([r, g, b, 255], i);
        }
      }
      context.putImageData(pixels, 0, 0);
      canvas.style.opacity = String(opacity);
      canvas.dataset.opacity = String(opacity);
    },
    dispose() {
      URL.revokeObjectURL(url);
    },
  };
}

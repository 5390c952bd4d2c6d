// Binary values in widget state, following ipywidgets' remove_buffers /
// put_buffers rules (packages/base/src/utils.ts): every ArrayBuffer, typed
// array or DataView anywhere in the state is taken out and sent as a raw
// buffer; its path says where it belongs. A buffer in an object is deleted
// from (a copy of) that object; a buffer in an array is replaced by null.
// The caller's state is never modified.
import { FORBIDDEN_KEYS } from "./checks";
import type { BufferPath, JSONObject } from "./messages";

export interface SplitState {
  state: JSONObject;
  buffer_paths: BufferPath[];
  buffers: ArrayBufferView[];
}

export function isBinary(value: unknown): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** Exactly the bytes of a view (not its whole underlying ArrayBuffer, which a subarray shares). */
function asView(value: ArrayBufferView | ArrayBuffer): ArrayBufferView {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : value;
}

function hasToJSON(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}

export function removeBuffers(state: JSONObject): SplitState {
  const buffer_paths: BufferPath[] = [];
  const buffers: ArrayBufferView[] = [];

  function walk(value: unknown, path: BufferPath): unknown {
    if (value === null || typeof value !== "object") return value;
    if (!isBinary(value) && hasToJSON(value)) value = value.toJSON();
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
      const list: unknown[] = value;
      let out: unknown[] | null = null;
      list.forEach((item, i) => {
        let next: unknown;
        if (isBinary(item)) {
          buffer_paths.push([...path, i]);
          buffers.push(asView(item));
          next = null;
        } else {
          next = walk(item, [...path, i]);
        }
        if (next !== item) {
          const copy: unknown[] = out ?? list.slice();
          copy[i] = next;
          out = copy;
        }
      });
      return out ?? value;
    }
    const obj = value as JSONObject;
    let out: JSONObject | null = null;
    for (const key of Object.keys(obj)) {
      const item = obj[key];
      if (isBinary(item)) {
        buffer_paths.push([...path, key]);
        buffers.push(asView(item));
        out ??= { ...obj };
        delete out[key];
        continue;
      }
      const next = walk(item, [...path, key]);
      if (next !== item) {
        out ??= { ...obj };
        out[key] = next;
      }
    }
    return out ?? obj;
  }

  return { state: walk(state, []) as JSONObject, buffer_paths, buffers };
}

/**
 * Puts buffers[i] into `state` at buffer_paths[i] (as DataViews, as ipywidgets
 * does), modifying `state`. Paths come from the front end: a path that does
 * not lead into the state throws an error naming it.
 */
export function putBuffers(state: JSONObject, bufferPaths: BufferPath[], buffers: DataView[]): JSONObject {
  if (!Array.isArray(bufferPaths)) throw new Error("convlens: buffer_paths must be a list of paths");
  if (bufferPaths.length > buffers.length) {
    throw new Error(`convlens: ${bufferPaths.length} buffer_paths but only ${buffers.length} buffers in the message`);
  }
  bufferPaths.forEach((path, i) => {
    if (!Array.isArray(path) || path.length === 0) throw new Error(`convlens: buffer path ${JSON.stringify(path)} is not a non-empty list`);
    let target: unknown = state;
    for (let j = 0; j < path.length; j++) {
      const key = path[j];
      if ((typeof key !== "string" && typeof key !== "number") || FORBIDDEN_KEYS.has(String(key))) {
        throw new Error(`convlens: buffer path ${JSON.stringify(path)} has an invalid key ${JSON.stringify(key)}`);
      }
      if (target === null || typeof target !== "object") {
        throw new Error(`convlens: buffer path ${JSON.stringify(path)} does not lead into the state (stops at ${JSON.stringify(path.slice(0, j))})`);
      }
      const container = target as Record<string | number, unknown>;
      if (j === path.length - 1) container[key] = buffers[i];
      else target = container[key];
    }
  });
  return state;
}

/** A DataView over a copy of `bytes`, so later reuse of the source memory cannot change it. */
export function copyToDataView(bytes: Uint8Array): DataView {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new DataView(copy.buffer);
}

/** The bytes of any view, without copying. */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

// Tiny DOM helpers. Every string lands via textContent (never innerHTML): layer names come from
// model files, and a model is untrusted input.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

export function button(label: string, title: string, onClick: () => void, signal: AbortSignal): HTMLButtonElement {
  const b = el("button", "convlens-button", label);
  b.type = "button";
  b.title = title;
  b.addEventListener("click", onClick, { signal });
  return b;
}

export function select<V extends string>(
  className: string,
  options: [V, string][],
  value: V,
  onChange: (value: V) => void,
  signal: AbortSignal,
): HTMLSelectElement {
  const s = el("select", className);
  for (const [v, label] of options) s.append(new Option(label, v, v === value, v === value));
  s.addEventListener("change", () => onChange(s.value as V), { signal });
  return s;
}

/** Blob URL of PNG bytes (revoke it when the view goes). */
export function pngUrl(bytes: Uint8Array): string {
  // Copy into a plain ArrayBuffer-backed array: Blob rejects views on SharedArrayBuffer.
  return URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: "image/png" }));
}

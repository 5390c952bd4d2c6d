// CONTRACT STUB — the kernel issue's helper replaces the bodies; the API below is
// what the convlens display helpers and notebook cells code against. Keep it.
//
// A kernel-side Jupyter widget (ipywidgets message protocol 2.1, target
// "jupyter.widget"). State values that are ArrayBufferViews (typed arrays,
// DataView) travel as binary buffers with buffer_paths, never as JSON numbers;
// nested objects/arrays may contain them too.

export type WidgetState = Record<string, unknown>;

export interface WidgetSpec<S extends WidgetState> {
  /** e.g. "IntSliderModel" / "FeatureMapGridModel" */
  modelName: string;
  /** e.g. "@jupyter-widgets/controls" / "convlens-widgets" */
  modelModule: string;
  modelModuleVersion: string;
  viewName?: string | null;
  viewModule?: string | null;
  viewModuleVersion?: string;
  /** initial state (besides the _model_* / _view_* keys, which the spec fills in) */
  state: S;
}

export type ChangeHandler<V> = (value: V, old: V) => void;
export type MessageHandler = (content: unknown, buffers: DataView[]) => void;

export class Widget<S extends WidgetState = WidgetState> {
  /** the comm id, also the widget's model_id */
  readonly commId: string = "";

  /** Opens the comm (comm_open with state, buffer_paths and buffers). */
  constructor(spec: WidgetSpec<S>) {
    void spec;
    throw new Error("convlens: Widget is not implemented yet");
  }

  /** Current value of one state key (as last set by the kernel or the front end). */
  get<K extends keyof S>(key: K): S[K] {
    void key;
    throw new Error("not implemented");
  }

  /** Changes state keys and sends one `update` to the front end. */
  set(patch: Partial<S>): void {
    void patch;
  }

  /** "change:<key>" fires when the front end (or set()) changes that key; "msg" for custom messages; "close" when the comm closes. */
  on<K extends keyof S & string>(event: `change:${K}`, handler: ChangeHandler<S[K]>): this;
  on(event: "msg", handler: MessageHandler): this;
  on(event: "close", handler: () => void): this;
  on(event: string, handler: (...args: never[]) => void): this {
    void event;
    void handler;
    return this;
  }

  /** A custom message (method "custom") to the front end, with optional binary buffers. */
  send(content: unknown, buffers: ArrayBufferView[] = []): void {
    void content;
    void buffers;
  }

  /** Closes the comm (comm_close); the widget's views are removed. */
  close(): void {}
}

export interface DisplayFallback {
  /** image/png shown where widgets cannot render (GitHub, nbviewer, a closed kernel) */
  png?: Uint8Array;
  /** text/html fallback, already escaped by the caller */
  html?: string;
  /** the text/plain line; defaults to a short description of the widget */
  text?: string;
}

/** Emits one display_data: the widget view MIME (version 2.1) plus the fallbacks. */
export function display(widget: Widget, fallback: DisplayFallback = {}): void {
  void widget;
  void fallback;
  throw new Error("convlens: display is not implemented yet");
}

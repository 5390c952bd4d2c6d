// A kernel-side Jupyter widget (ipywidgets message protocol 2.1, target
// "jupyter.widget"). State values that are ArrayBufferViews (typed arrays,
// DataView) travel as binary buffers with buffer_paths, never as JSON numbers;
// nested objects/arrays may contain them too.
//
// A front end's update is untrusted input: the keys a spec declares (frontEndKeys) are the only
// ones it may change, each checked; the rest is dropped and logged.
//
// This is the API the convlens display helpers and notebook cells code
// against. A widget reaches the running kernel through kernelRuntime()
// (a globalThis symbol, see runtime.ts), so any copy of this module works.
import { putBuffers, removeBuffers, type SplitState } from "./buffers";
import { FORBIDDEN_KEYS, keyName, type Check } from "./checks";
import { CommProtocolError, type Comm } from "./comms";
import {
  WIDGET_PROTOCOL_VERSION,
  WIDGET_TARGET,
  WIDGET_VIEW_MIME,
  type BufferPath,
  type JSONObject,
  type WidgetEchoUpdate,
  type WidgetOpenData,
  type WidgetUpdate,
  type WidgetViewMime,
} from "./messages";
import { kernelRuntime, type KernelRuntime, type LiveWidget } from "./runtime";

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
  /**
   * The keys a front end may change, each with the check its values must pass; any other key in
   * a front end's update is dropped and logged. Without it every key is taken (a widget whose keys
   * this kernel does not know, such as an IntSlider), except the model's identity and the names
   * that reach a prototype.
   */
  frontEndKeys?: FrontEndKeys<S>;
}

export type FrontEndKeys<S extends WidgetState> = { readonly [K in keyof S & string]?: Check };

export type ChangeHandler<V> = (value: V, old: V) => void;
export type MessageHandler = (content: unknown, buffers: DataView[]) => void;

type AnyHandler = (...args: never[]) => unknown;

/** The keys that say which model and view a widget is (_model_name, _view_module, …). */
const IDENTITY_KEY = /^_(model|view)_/;

/** The kernel's own keys: one that reaches a prototype here would reach it in every front end too. */
function assertStateKeys(state: object, modelName: string): void {
  for (const key of Object.keys(state)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new Error(`convlens: ${modelName} cannot have a state key named ${key}; rename it`);
    }
  }
}

function isObject(value: unknown): value is JSONObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export class Widget<S extends WidgetState = WidgetState> implements LiveWidget {
  /** the comm id, also the widget's model_id */
  readonly commId: string = "";
  readonly modelName: string;
  readonly modelModule: string;
  readonly modelModuleVersion: string;
  /** null prototype: a key read or written here is only ever the state's own */
  private readonly state: WidgetState = Object.create(null);
  private readonly frontEndKeys: Readonly<Record<string, Check>> | null;
  private readonly handlers = new Map<string, AnyHandler[]>();
  private readonly comm: Comm;
  private readonly runtime: KernelRuntime;

  /** Opens the comm (comm_open with state, buffer_paths and buffers). */
  constructor(spec: WidgetSpec<S>) {
    this.runtime = kernelRuntime();
    this.modelName = spec.modelName;
    this.modelModule = spec.modelModule;
    this.modelModuleVersion = spec.modelModuleVersion;
    const declared = spec.frontEndKeys && Object.entries(spec.frontEndKeys);
    const isCheck = (entry: [string, Check | undefined]): entry is [string, Check] => typeof entry[1] === "function";
    this.frontEndKeys = declared ? Object.fromEntries(declared.filter(isCheck)) : null;
    assertStateKeys(spec.state, spec.modelName);
    Object.assign(this.state, {
      _model_name: spec.modelName,
      _model_module: spec.modelModule,
      _model_module_version: spec.modelModuleVersion,
      _view_name: spec.viewName ?? null,
      _view_module: spec.viewModule ?? null,
      _view_module_version: spec.viewModuleVersion ?? "",
      ...spec.state,
    });
    const split = this.splitState();
    const data: WidgetOpenData = { state: split.state, buffer_paths: split.buffer_paths };
    this.comm = this.runtime.comms.open(WIDGET_TARGET, data as unknown as JSONObject, { version: WIDGET_PROTOCOL_VERSION }, split.buffers);
    this.commId = this.comm.id;
    this.runtime.widgets.set(this.commId, this);
    this.comm.onMsg((msg, buffers) => this.receive(msg, buffers));
    this.comm.onClose(() => {
      this.runtime.widgets.delete(this.commId);
      this.emit("close", []);
    });
  }

  /** false once the widget's comm is closed (by close() or by a front end). */
  get isOpen(): boolean {
    return !this.comm.closed;
  }

  /** Current value of one state key (as last set by the kernel or the front end). */
  get<K extends keyof S>(key: K): S[K] {
    return this.state[key as string] as S[K];
  }

  /** Changes state keys and sends one `update` to the front end. */
  set(patch: Partial<S>): void {
    this.assertOpen("set");
    assertStateKeys(patch, this.modelName);
    const split = removeBuffers(patch as JSONObject);
    const update: WidgetUpdate = { method: "update", state: split.state, buffer_paths: split.buffer_paths };
    this.comm.send(update as unknown as JSONObject, {}, split.buffers);
    this.apply(patch as JSONObject);
  }

  /** "change:<key>" fires when the front end (or set()) changes that key; "msg" for custom messages; "close" when the comm closes. */
  on<K extends keyof S & string>(event: `change:${K}`, handler: ChangeHandler<S[K]>): this;
  on(event: "msg", handler: MessageHandler): this;
  on(event: "close", handler: () => void): this;
  on(event: string, handler: (...args: never[]) => void): this {
    const list = this.handlers.get(event) ?? [];
    list.push(handler);
    this.handlers.set(event, list);
    return this;
  }

  /** A custom message (method "custom") to the front end, with optional binary buffers. */
  send(content: unknown, buffers: ArrayBufferView[] = []): void {
    this.assertOpen("send");
    this.comm.send({ method: "custom", content }, {}, buffers);
  }

  /** Closes the comm (comm_close); the widget's views are removed. */
  close(): void {
    this.comm.close();
  }

  /** The full state with binary values split out (for request_state / request_states). */
  splitState(): SplitState {
    return removeBuffers({ ...this.state });
  }

  private assertOpen(action: string): void {
    if (this.comm.closed) throw new Error(`convlens: cannot ${action} on ${this.modelName} ${this.commId}: the widget is closed`);
  }

  private receive(data: JSONObject, buffers: DataView[]): void {
    switch (data.method) {
      case "update": {
        if (!isObject(data.state)) throw new CommProtocolError(`update for ${this.modelName} ${this.commId} has no state object`);
        const sent = putBuffers(data.state, (data.buffer_paths ?? []) as BufferPath[], buffers);
        const { accepted, refused } = this.sift(sent);
        // Protocol 2.1: echo the front end's change to all front ends first;
        // the sender matches it by parent msg_id and stops holding its value.
        const echo = removeBuffers(accepted);
        const message: WidgetEchoUpdate = { method: "echo_update", state: echo.state, buffer_paths: echo.buffer_paths };
        this.comm.send(message as unknown as JSONObject, {}, echo.buffers);
        // A refused change of a key the kernel holds: the sender would keep showing its own value.
        const held = refused.filter((key) => Object.hasOwn(this.state, key));
        if (held.length > 0) {
          const back = removeBuffers(Object.fromEntries(held.map((key) => [key, this.state[key]])));
          const update: WidgetUpdate = { method: "update", state: back.state, buffer_paths: back.buffer_paths };
          this.comm.send(update as unknown as JSONObject, {}, back.buffers);
        }
        this.apply(accepted);
        return;
      }
      case "request_state": {
        const split = this.splitState();
        const update: WidgetUpdate = { method: "update", state: split.state, buffer_paths: split.buffer_paths };
        this.comm.send(update as unknown as JSONObject, {}, split.buffers);
        return;
      }
      case "custom":
        this.emit("msg", [data.content, buffers]);
        return;
      default:
        throw new CommProtocolError(`unknown widget method ${JSON.stringify(data.method)} for ${this.modelName} ${this.commId}`);
    }
  }

  /** Splits a front end's update into the keys this widget takes and those it drops (and logs). */
  private sift(update: JSONObject): { accepted: JSONObject; refused: string[] } {
    const accepted: JSONObject = {}; // a plain object is safe: refusal() turns away every prototype name
    const refused: string[] = [];
    for (const [key, value] of Object.entries(update)) {
      const why = this.refusal(key, value);
      if (why === undefined) {
        accepted[key] = value;
        continue;
      }
      refused.push(key);
      const widget = `${this.modelName} ${this.commId}`;
      this.runtime.log(`convlens: ignored a front-end change of ${keyName(key)} on ${widget}: ${why}`);
    }
    return { accepted, refused };
  }

  private refusal(key: string, value: unknown): string | undefined {
    if (FORBIDDEN_KEYS.has(key)) return "not a state key";
    // The model's identity is the kernel's: a front end cannot rename it.
    if (IDENTITY_KEY.test(key)) return "the model's identity is the kernel's";
    const checks = this.frontEndKeys;
    if (checks === null) return undefined;
    if (!Object.hasOwn(checks, key)) {
      const keys = Object.keys(checks);
      return keys.length > 0 ? `a front end may change only ${keys.join(", ")}` : "a front end may change no key";
    }
    const problem = checks[key](value);
    return problem && `${keyName(key)}${problem.path} must be ${problem.expected}, got ${problem.got}`;
  }

  private apply(patch: JSONObject): void {
    const changed: [string, unknown, unknown][] = [];
    for (const [key, value] of Object.entries(patch)) {
      const old = this.state[key];
      this.state[key] = value;
      if (!Object.is(old, value)) changed.push([key, value, old]);
    }
    for (const [key, value, old] of changed) this.emit(`change:${key}`, [value, old]);
  }

  private emit(event: string, args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      this.runtime.comms.guard(`the "${event}" handler of ${this.modelName} ${this.commId}`, () =>
        (handler as (...a: unknown[]) => unknown)(...args),
      );
    }
  }
}

export interface DisplayFallback {
  /** image/png shown where widgets cannot render (GitHub, nbviewer, a closed kernel) */
  png?: Uint8Array;
  /** text/html fallback, already escaped by the caller */
  html?: string;
  /** the text/plain line; defaults to a short description of the widget */
  text?: string;
}

/** The MIME bundle display() emits: the widget view (protocol 2.1) plus the fallbacks. */
export function widgetBundle(widget: Widget, fallback: DisplayFallback = {}): JSONObject {
  const view: WidgetViewMime = { model_id: widget.commId, version_major: 2, version_minor: 1 };
  const data: JSONObject = {
    [WIDGET_VIEW_MIME]: view,
    "text/plain": fallback.text ?? `${widget.modelName} widget (model ${widget.commId})`,
  };
  if (fallback.png) data["image/png"] = Buffer.from(fallback.png.buffer, fallback.png.byteOffset, fallback.png.byteLength).toString("base64");
  if (fallback.html !== undefined) data["text/html"] = fallback.html;
  return data;
}

/** Emits one display_data: the widget view MIME (version 2.1) plus the fallbacks. */
export function display(widget: Widget, fallback: DisplayFallback = {}): void {
  if (!widget.isOpen) throw new Error(`convlens: cannot display ${widget.modelName} ${widget.commId}: the widget is closed`);
  kernelRuntime().display({ data: widgetBundle(widget, fallback), metadata: {}, transient: {} });
}

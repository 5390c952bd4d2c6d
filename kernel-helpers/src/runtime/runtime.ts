// The kernel's shared state for code running inside it: the comm manager, the
// live widgets, and the one outlet through which every kernel -> front-end
// message leaves (comm traffic, display_data, streams, status).
//
// Why a globalThis symbol: tslab runs cells with vm.runInThisContext, so cell
// code and the kernel share one globalThis — but not necessarily one copy of
// this module. `import { Widget } from "convlens"` in a cell resolves from the
// notebook's folder (kernel-helpers/dist through a workspace symlink, or a
// copy installed elsewhere), while the launcher loaded its own file; tests run
// the TypeScript sources. A `Symbol.for` key is the same in every copy, so
// whichever copy a cell imports finds the running kernel.
import { CommManager, type Reporter } from "./comms";
import type { SplitState } from "./buffers";
import {
  WIDGET_CONTROL_TARGET,
  type ControlUpdateStates,
  type DisplayData,
  type Header,
  type IopubMsgType,
  type JSONObject,
  type OutgoingMessage,
} from "./messages";

/** The single function all kernel -> front-end traffic passes through. */
export type Outlet = (msg: OutgoingMessage) => void;
type ParentHeader = OutgoingMessage["parentHeader"];

/** What the control comm needs from a live widget (see widget.ts). */
export interface LiveWidget {
  readonly commId: string;
  readonly modelName: string;
  readonly modelModule: string;
  readonly modelModuleVersion: string;
  /** the full state, binary values split out */
  splitState(): SplitState;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

export class KernelRuntime {
  readonly comms: CommManager;
  readonly widgets = new Map<string, LiveWidget>();
  private parent: ParentHeader = {};
  private cell = new AbortController();

  constructor(
    private readonly outlet: Outlet,
    /** the kernel's own log (its real stderr), for protocol problems */
    readonly log: (text: string) => void = () => {},
  ) {
    const reporter: Reporter = { log: (text) => this.log(text), userError: (context, error) => this.userError(context, error) };
    this.comms = new CommManager((msgType, content, metadata, buffers) => this.publish(msgType, content, metadata, buffers), reporter);
    this.comms.registerTarget(WIDGET_CONTROL_TARGET, (comm) => {
      comm.onMsg((data) => {
        if (data.method === "request_states") comm.send(...this.updateStates());
        else this.log(`unknown ${WIDGET_CONTROL_TARGET} method ${JSON.stringify(data.method)}; ignored`);
      });
    });
  }

  publish(msgType: IopubMsgType, content: JSONObject, metadata: JSONObject = {}, buffers: ArrayBufferView[] = [], parentHeader: ParentHeader = this.parent): void {
    this.outlet({ msgType, content, metadata, buffers, parentHeader });
  }

  /** Aborted when the running cell is interrupted: long computations (an optimisation loop) watch it. */
  get cellSignal(): AbortSignal {
    return this.cell.signal;
  }

  /** A cell starts: a fresh signal for it (tslab's interrupt only stops awaiting the cell, not its work). */
  beginCell(): void {
    this.cell = new AbortController();
  }

  /** The user interrupted the kernel: the running cell's signal is aborted. */
  interrupt(): void {
    this.cell.abort(new Error("the cell was interrupted"));
  }

  setParent(header: ParentHeader): void {
    this.parent = header;
  }

  /** Runs fn with outputs attributed to `header`, then restores the previous parent (e.g. the running cell). */
  withParent<T>(header: Header, fn: () => T): T {
    const previous = this.parent;
    this.parent = header;
    try {
      return fn();
    } finally {
      this.parent = previous;
    }
  }

  stream(name: "stdout" | "stderr", text: string): void {
    this.publish("stream", { name, text });
  }

  display(bundle: DisplayData): void {
    this.publish("display_data", bundle as unknown as JSONObject);
  }

  /** User code failed outside a cell's own flow (e.g. a widget handler): stderr of the current request. */
  userError(context: string, error: unknown): void {
    const text = `convlens: ${context} threw: ${describe(error)}\n`;
    this.log(text.trimEnd());
    this.stream("stderr", text);
  }

  /** The `update_states` reply of the widget control comm: every live widget, buffers included. */
  updateStates(): [JSONObject, JSONObject, ArrayBufferView[]] {
    const reply: ControlUpdateStates = { method: "update_states", states: {}, buffer_paths: [] };
    const buffers: ArrayBufferView[] = [];
    for (const widget of this.widgets.values()) {
      const split = widget.splitState();
      reply.states[widget.commId] = {
        model_name: widget.modelName,
        model_module: widget.modelModule,
        model_module_version: widget.modelModuleVersion,
        state: split.state,
      };
      split.buffer_paths.forEach((path) => reply.buffer_paths.push([widget.commId, "state", ...path]));
      buffers.push(...split.buffers);
    }
    return [reply as unknown as JSONObject, {}, buffers];
  }
}

const RUNTIME_KEY = Symbol.for("convlens.kernel.runtime");
type RuntimeHolder = { [RUNTIME_KEY]?: KernelRuntime };

/** Makes `runtime` the one cell code reaches (the launcher does this; unit tests install a recording one). */
export function installKernelRuntime(runtime: KernelRuntime | undefined): void {
  (globalThis as RuntimeHolder)[RUNTIME_KEY] = runtime;
}

export function kernelRuntime(): KernelRuntime {
  const runtime = (globalThis as RuntimeHolder)[RUNTIME_KEY];
  if (!runtime) {
    throw new Error(
      "convlens: no running convlens kernel. Widgets and display() work in a notebook using the " +
        '"TypeScript (convlens)" kernel; in a unit test, call installKernelRuntime(new KernelRuntime(outlet)) first.',
    );
  }
  return runtime;
}

/** The running cell's interrupt signal inside a convlens kernel; undefined elsewhere (a script, a unit test). */
export function currentCellSignal(): AbortSignal | undefined {
  return (globalThis as RuntimeHolder)[RUNTIME_KEY]?.cellSignal;
}

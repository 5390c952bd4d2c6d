// The convlens kernel's request handling, socket-free: one incoming message in,
// at most one reply out; everything for front ends goes through the runtime's
// outlet (busy/idle status, execute_input/result, errors, streams, comms).
// tslab supplies the TypeScript executor, completion, inspection and
// is_complete (through its adapter, tslab.ts); this file adds comms, error
// replies and execute results.
import { inspect as formatValue, format } from "util";
import { isCompleteCode, isDiagnostic, type CellConsole, type CellExecutor } from "./tslab";
import { PROTOCOL_VERSION, type JSONObject, type KernelMessage } from "convlens/dist/runtime/messages";
import type { KernelRuntime } from "convlens/dist/runtime/runtime";
import { expandShorthandProperties } from "./shorthand";

export type Channel = "shell" | "control";

export interface Reply {
  msgType: string;
  content: JSONObject;
}

export interface KernelInfo {
  implementationVersion: string;
  typescriptVersion: string;
  tslabVersion: string;
}

interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** This file's folder as a pattern: the kernel package's src (tests) or dist, wherever it is installed. */
const OWN_FOLDER = __dirname.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Stack frames of the kernel itself (vm, tslab, its adapter, this file), not of the user's cell. */
const KERNEL_FRAME = new RegExp(
  String.raw`^\s+at .*(node:vm|sigintHandlersWrap|[\\/]tslab[\\/]dist[\\/]|${OWN_FOLDER}[\\/](kernel|tslab)\.[jt]s)`,
);

function errorContent(error: unknown): ErrorContent {
  if (error instanceof Error) {
    const stack = (error.stack ?? `${error.name}: ${error.message}`).split("\n");
    return { ename: error.name, evalue: error.message, traceback: stack.filter((line) => !KERNEL_FRAME.test(line)) };
  }
  return { ename: "Error", evalue: String(error), traceback: [String(error)] };
}

/** What a failed cell printed through tslab's console.error, as one Jupyter error. */
function cellError(printed: unknown[][]): ErrorContent {
  const thrown = printed.find((args) => args.length === 1 && args[0] instanceof Error);
  if (thrown) return errorContent(thrown[0]);
  const lines = printed.map((args) => format(...args));
  const compile = printed.some(isDiagnostic);
  return { ename: compile ? "TypeScript compile error" : "Error", evalue: lines.join("\n"), traceback: lines };
}

function stringField(content: JSONObject, key: string): string {
  const value = content[key];
  return typeof value === "string" ? value : "";
}

function cursorPos(content: JSONObject, code: string): number {
  const value = content.cursor_pos;
  return typeof value === "number" ? value : code.length;
}

export class ConvlensKernel {
  private executionCount = 0;
  /** cells run one after another; other requests (comms included) are handled while a cell awaits */
  private queueTail: Promise<unknown> = Promise.resolve();
  /** bumped when a cell fails with stop_on_error; cells queued before that are aborted */
  private abortEpoch = 0;
  /** what the running cell printed through tslab's console (results and errors) */
  private cell: { silent: boolean; count: number; errors: unknown[][] } | null = null;
  /** set while a dequeued cell waits for its busy and execute_input to leave; comm messages wait for it */
  private starting: Promise<void> | null = null;
  readonly executor: CellExecutor;

  /** `iopubFlushed`: resolves once every iopub message published so far has left the process */
  constructor(
    private readonly runtime: KernelRuntime,
    createExecutor: (console: CellConsole) => CellExecutor,
    private readonly info: KernelInfo,
    private readonly iopubFlushed: () => Promise<void> = () => Promise.resolve(),
  ) {
    // tslab's executor reports a cell's last expression through log() and its
    // failures through error(); we turn them into execute_result / error messages.
    this.executor = createExecutor({
      log: (value: unknown) => this.result(value),
      error: (...args: unknown[]) => this.cellPrinted(args),
    });
  }

  /** Handles one message; the reply (if any) goes back on the socket it came from. */
  async handle(msg: KernelMessage, channel: Channel = "shell"): Promise<Reply | null> {
    // A cell is busy while it runs, not while it waits behind other cells: enqueueExecute
    // brackets it, so "Run All" shows busy A, idle A, busy B, idle B (not idle while B runs).
    const bracketed = msg.header.msg_type !== "execute_request";
    if (bracketed) this.status("busy", msg);
    try {
      return await this.dispatch(msg, channel);
    } catch (e) {
      this.runtime.log(
        `${msg.header.msg_type} ${msg.header.msg_id} failed: ${e instanceof Error ? e.stack : String(e)}`,
      );
      if (!msg.header.msg_type.endsWith("_request")) return null;
      return {
        msgType: msg.header.msg_type.replace(/_request$/, "_reply"),
        content: { status: "error", ...errorContent(e) },
      };
    } finally {
      if (bracketed) this.status("idle", msg);
    }
  }

  private status(state: "busy" | "idle", msg: KernelMessage): void {
    this.runtime.publish("status", { execution_state: state }, {}, [], msg.header);
  }

  private async dispatch(msg: KernelMessage, channel: Channel): Promise<Reply | null> {
    const content = msg.content;
    switch (msg.header.msg_type) {
      case "kernel_info_request":
        return { msgType: "kernel_info_reply", content: this.kernelInfo() };
      case "execute_request":
        return { msgType: "execute_reply", content: await this.enqueueExecute(msg) };
      case "is_complete_request": {
        const result = isCompleteCode(stringField(content, "code"));
        return {
          msgType: "is_complete_reply",
          content: result.completed ? { status: "complete" } : { status: "incomplete", indent: result.indent },
        };
      }
      case "inspect_request": {
        const code = stringField(content, "code");
        const pos = cursorPos(content, code);
        // Front ends send the cursor just after the name; TypeScript wants a position inside it.
        const info = this.executor.inspect(code, pos) ?? (pos > 0 ? this.executor.inspect(code, pos - 1) : undefined);
        const data = info !== undefined ? { "text/plain": info } : {};
        return { msgType: "inspect_reply", content: { status: "ok", found: info !== undefined, data, metadata: {} } };
      }
      case "complete_request": {
        const code = stringField(content, "code");
        const info = this.executor.complete(code, cursorPos(content, code));
        return {
          msgType: "complete_reply",
          content: {
            status: "ok",
            matches: info.candidates,
            cursor_start: info.start,
            cursor_end: info.end,
            metadata: {},
          },
        };
      }
      case "comm_info_request": {
        const target = content.target_name;
        return {
          msgType: "comm_info_reply",
          content: this.runtime.comms.info(
            typeof target === "string" && target ? target : undefined,
          ) as unknown as JSONObject,
        };
      }
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        // one that arrives while the next cell is starting is for that cell (it may open the comm the
        // message is for): handled once the cell has run up to its first await, as before
        if (this.starting) await this.starting;
        return this.comm(msg);
      case "history_request":
        // No history is kept (tslab keeps none either); an empty list is a valid answer.
        return { msgType: "history_reply", content: { status: "ok", history: [] } };
      case "interrupt_request":
        this.interrupt();
        return { msgType: "interrupt_reply", content: { status: "ok" } };
      case "shutdown_request":
        return { msgType: "shutdown_reply", content: { status: "ok", restart: content.restart === true } };
      default:
        this.runtime.log(`unsupported ${channel} message ${JSON.stringify(msg.header.msg_type)}; ignored`);
        return null;
    }
  }

  private comm(msg: KernelMessage): null {
    const { content, buffers } = msg;
    this.runtime.withParent(msg.header, () => {
      if (msg.header.msg_type === "comm_open") this.runtime.comms.receiveOpen(content, buffers);
      else if (msg.header.msg_type === "comm_msg") this.runtime.comms.receiveMsg(content, buffers);
      else this.runtime.comms.receiveClose(content);
    });
    return null;
  }

  private kernelInfo(): JSONObject {
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "convlens",
      implementation_version: this.info.implementationVersion,
      language_info: {
        name: "typescript",
        version: this.info.typescriptVersion,
        mimetype: "text/typescript",
        file_extension: ".ts",
        // As tslab: makes JupyterLab and the classic notebook highlight TypeScript.
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
      },
      banner: `TypeScript (convlens): tslab ${this.info.tslabVersion}, TypeScript ${this.info.typescriptVersion}, Node.js ${process.version}`,
      help_links: [],
    };
  }

  private enqueueExecute(msg: KernelMessage): Promise<JSONObject> {
    const epoch = this.abortEpoch;
    const run = this.queueTail.then(async () => {
      this.status("busy", msg);
      try {
        return await this.execute(msg, epoch);
      } finally {
        this.status("idle", msg);
      }
    });
    this.queueTail = run.catch(() => undefined);
    return run;
  }

  /** Interrupts the running cell: tslab stops awaiting it, and convlens's long computations stop too. */
  interrupt(): void {
    this.runtime.interrupt();
    this.executor.interrupt();
  }

  private async execute(msg: KernelMessage, epoch: number): Promise<JSONObject> {
    const content = msg.content;
    const code = stringField(content, "code");
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    // "aborted", as ipykernel sends it (the spec's "abort" is a typo: jupyter_client#1063)
    if (epoch !== this.abortEpoch) return { status: "aborted", execution_count: this.executionCount };
    const count = storeHistory ? ++this.executionCount : this.executionCount;
    // From here on, outputs (streams, displays, comm traffic) belong to this cell.
    this.runtime.setParent(msg.header);
    this.runtime.beginCell();
    if (!silent) this.runtime.publish("execute_input", { code, execution_count: count });
    this.cell = { silent, count, errors: [] };
    // busy and execute_input leave before the cell runs: a cell that keeps the thread busy (a long
    // synchronous loop, or just its compilation) would otherwise hold them back until it yields, and
    // the front end would show nothing running meanwhile
    let started = () => {};
    this.starting = new Promise<void>((resolve) => (started = resolve));
    try {
      await this.iopubFlushed();
    } finally {
      this.starting = null;
      started(); // waiting comm messages go on once the cell below reaches its first await
    }
    let ok: boolean;
    try {
      ok = await this.executor.execute(expandShorthandProperties(code));
    } catch (e) {
      this.cell.errors.push([e]);
      ok = false;
    }
    const { errors } = this.cell;
    this.cell = null;
    if (ok) {
      // e.g. diagnostics of a tslab `/** @module name */` cell, which still counts as run
      for (const args of errors) this.runtime.stream("stderr", format(...args) + "\n");
      return { status: "ok", execution_count: count, payload: [], user_expressions: {} };
    }
    const error = cellError(errors);
    if (!silent) this.runtime.publish("error", { ...error });
    // as ipykernel: only a visible cell's failure aborts the cells queued behind it
    if (!silent && content.stop_on_error !== false) this.abortEpoch++;
    return { status: "error", execution_count: count, ...error };
  }

  private result(value: unknown): void {
    if (!this.cell) {
      this.runtime.stream("stdout", formatValue(value) + "\n");
      return;
    }
    if (this.cell.silent) return;
    this.runtime.publish("execute_result", {
      execution_count: this.cell.count,
      data: { "text/plain": formatValue(value) },
      metadata: {},
    });
  }

  private cellPrinted(args: unknown[]): void {
    if (this.cell) this.cell.errors.push(args);
    else this.runtime.stream("stderr", format(...args) + "\n");
  }
}

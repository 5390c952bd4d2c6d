// Comms (Jupyter messaging spec, "Custom Messages"): named two-way channels
// between kernel objects and front-end objects. The manager keeps the open
// comms, routes incoming comm_open / comm_msg / comm_close, and sends through
// the one `publish` function it is given. No sockets here.
import { randomUUID } from "crypto";
import type { CommClose, CommInfoReply, CommMsg, CommOpen, JSONObject } from "./messages";

export type CommMsgType = "comm_open" | "comm_msg" | "comm_close";
export type CommPublish = (msgType: CommMsgType, content: JSONObject, metadata: JSONObject, buffers: ArrayBufferView[]) => void;

export interface Reporter {
  /** protocol problems: the kernel's own log (its stderr), not the notebook */
  log(text: string): void;
  /** an error thrown by user code (a handler): shown to the user, the kernel keeps serving */
  userError(context: string, error: unknown): void;
}

export type CommMsgHandler = (data: JSONObject, buffers: DataView[]) => void;
export type CommCloseHandler = (data: JSONObject) => void;
/** Called when a front end opens a comm to this target. */
export type CommTargetHandler = (comm: Comm, data: JSONObject, buffers: DataView[]) => void;

/** A malformed comm message from a front end (dropped and logged). */
export class CommProtocolError extends Error {
  override readonly name = "CommProtocolError";
}

export class Comm {
  private readonly msgHandlers: CommMsgHandler[] = [];
  private readonly closeHandlers: CommCloseHandler[] = [];
  private isClosed = false;

  constructor(
    readonly id: string,
    readonly targetName: string,
    private readonly manager: CommManager,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(data: JSONObject, metadata: JSONObject = {}, buffers: ArrayBufferView[] = []): void {
    if (this.isClosed) throw new Error(`convlens: comm ${this.id} (${this.targetName}) is closed; cannot send`);
    this.manager.publish("comm_msg", { comm_id: this.id, data }, metadata, buffers);
  }

  /** Closes from the kernel side: tells the front ends, then runs close handlers. */
  close(data: JSONObject = {}): void {
    if (this.isClosed) return;
    this.manager.publish("comm_close", { comm_id: this.id, data }, {}, []);
    this.closedBy(data);
  }

  onMsg(handler: CommMsgHandler): this {
    this.msgHandlers.push(handler);
    return this;
  }

  onClose(handler: CommCloseHandler): this {
    this.closeHandlers.push(handler);
    return this;
  }

  /** @internal a message from a front end */
  deliver(data: JSONObject, buffers: DataView[]): void {
    for (const handler of this.msgHandlers) this.manager.guard(`comm_msg on ${this.targetName} comm ${this.id}`, () => handler(data, buffers));
  }

  /** @internal */
  closedBy(data: JSONObject): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.manager.forget(this.id);
    for (const handler of this.closeHandlers) this.manager.guard(`comm_close of ${this.targetName} comm ${this.id}`, () => handler(data));
  }
}

function requireString(content: JSONObject, key: string, msgType: string): string {
  const value = content[key];
  if (typeof value !== "string" || !value) throw new CommProtocolError(`${msgType} without a ${key} string`);
  return value;
}

function dataOf(content: JSONObject, msgType: string): JSONObject {
  const data = content.data ?? {};
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new CommProtocolError(`${msgType} data is not an object`);
  return data as JSONObject;
}

export class CommManager {
  private readonly comms = new Map<string, Comm>();
  private readonly targets = new Map<string, CommTargetHandler>();

  constructor(
    /** the manager's only way out: see runtime.ts */
    readonly publish: CommPublish,
    private readonly reporter: Reporter,
  ) {}

  registerTarget(targetName: string, handler: CommTargetHandler): void {
    this.targets.set(targetName, handler);
  }

  /** Opens a comm from the kernel side (comm_open to the front ends). */
  open(targetName: string, data: JSONObject, metadata: JSONObject = {}, buffers: ArrayBufferView[] = [], commId: string = randomUUID()): Comm {
    const comm = new Comm(commId, targetName, this);
    const content: CommOpen = { comm_id: commId, target_name: targetName, data };
    // Registered only once comm_open is out: data that cannot become JSON throws here, and a comm
    // no front end heard of must not linger in comm_info or in request_states.
    this.publish("comm_open", content as unknown as JSONObject, metadata, buffers);
    this.comms.set(commId, comm);
    return comm;
  }

  get(commId: string): Comm | undefined {
    return this.comms.get(commId);
  }

  /** A front end opened a comm. Unknown targets get a comm_close back, as ipykernel does. */
  receiveOpen(content: JSONObject, buffers: DataView[]): void {
    const commId = requireString(content, "comm_id", "comm_open");
    const targetName = requireString(content, "target_name", "comm_open");
    const data = dataOf(content, "comm_open");
    const handler = this.targets.get(targetName);
    if (!handler) {
      this.reporter.log(`comm_open for unknown target ${JSON.stringify(targetName)}; closing comm ${commId}`);
      this.publish("comm_close", { comm_id: commId, data: {} } satisfies CommClose as unknown as JSONObject, {}, []);
      return;
    }
    const comm = new Comm(commId, targetName, this);
    this.comms.set(commId, comm);
    this.guard(`comm_open of target ${targetName}`, () => handler(comm, data, buffers));
  }

  receiveMsg(content: JSONObject, buffers: DataView[]): void {
    const msg: CommMsg = { comm_id: requireString(content, "comm_id", "comm_msg"), data: dataOf(content, "comm_msg") };
    const comm = this.comms.get(msg.comm_id);
    if (!comm) {
      this.reporter.log(`comm_msg for unknown comm ${msg.comm_id}; dropped`);
      return;
    }
    comm.deliver(msg.data, buffers);
  }

  receiveClose(content: JSONObject): void {
    const commId = requireString(content, "comm_id", "comm_close");
    const comm = this.comms.get(commId);
    if (!comm) {
      this.reporter.log(`comm_close for unknown comm ${commId}; ignored`);
      return;
    }
    comm.closedBy(dataOf(content, "comm_close"));
  }

  /** The comm_info_reply content: open comms, only those of `targetName` if given. */
  info(targetName?: string): CommInfoReply {
    const comms: CommInfoReply["comms"] = {};
    for (const comm of this.comms.values()) {
      if (!targetName || comm.targetName === targetName) comms[comm.id] = { target_name: comm.targetName };
    }
    return { status: "ok", comms };
  }

  /** Runs user code; a throw (or a rejected promise) is reported and swallowed. */
  guard(context: string, fn: () => unknown): void {
    try {
      const result = fn();
      if (result && typeof (result as Promise<unknown>).then === "function") {
        (result as Promise<unknown>).then(undefined, (e: unknown) => this.reporter.userError(context, e));
      }
    } catch (e) {
      this.reporter.userError(context, e);
    }
  }

  /** @internal */
  forget(commId: string): void {
    this.comms.delete(commId);
  }
}

// Typed Jupyter wire messages used by the convlens kernel. Doc comments follow
// the Jupyter messaging spec (jupyter_client docs/messaging.rst, protocol 5.3)
// and the widget protocol 2.1 (ipywidgets packages/schema/messages.md).

export const PROTOCOL_VERSION = "5.3";

export type JSONObject = { [key: string]: unknown };

export interface Header {
  /** typically UUID, must be unique per message */
  msg_id: string;
  /** typically UUID, should be unique per session */
  session: string;
  username: string;
  /** ISO 8601 timestamp for when the message is created */
  date: string;
  msg_type: string;
  /** the message protocol version */
  version: string;
}

/** A message as the kernel's protocol logic sees it: decoded, verified, socket-free. */
export interface KernelMessage<C = JSONObject> {
  header: Header;
  /** the header of the request this message answers or was caused by; {} if none */
  parentHeader: Header | Record<string, never>;
  metadata: JSONObject;
  content: C;
  /** extra binary frames after the four JSON frames */
  buffers: DataView[];
}

// ---- comms (messaging spec, "Custom Messages") ----

/** comm_open: either side creates a comm; the other side looks up `target_name`. */
export interface CommOpen {
  comm_id: string;
  /** the target the other side registered, e.g. "jupyter.widget" */
  target_name: string;
  /** initial data, free-form JSON */
  data: JSONObject;
  /** optional; e.g. the module that registers the target */
  target_module?: string | null;
}

/** comm_msg: a message on an open comm, in either direction. */
export interface CommMsg {
  comm_id: string;
  data: JSONObject;
}

/** comm_close: either side closes the comm; the other side drops it. */
export interface CommClose {
  comm_id: string;
  data: JSONObject;
}

/** comm_info_request: lists open comms, optionally only those of one target. */
export interface CommInfoRequest {
  target_name?: string;
}

export interface CommInfoReply {
  status: "ok";
  /** comm_id -> {target_name} for every open comm (of the requested target) */
  comms: Record<string, { target_name: string }>;
}

// ---- iopub ----

export type IopubMsgType =
  | "status"
  | "stream"
  | "display_data"
  | "update_display_data"
  | "execute_input"
  | "execute_result"
  | "error"
  | "comm_open"
  | "comm_msg"
  | "comm_close";

/**
 * Anything the kernel sends to front ends on iopub. Every kernel -> front-end
 * message goes through one `Outlet` function (see runtime.ts), so tests can
 * observe exactly what front ends would receive.
 */
export interface OutgoingMessage {
  msgType: IopubMsgType;
  content: JSONObject;
  metadata: JSONObject;
  /** sent as raw ZeroMQ frames after the JSON frames, never JSON-encoded */
  buffers: ArrayBufferView[];
  /** the request this message belongs to (the running cell, or the comm_msg being handled) */
  parentHeader: Header | Record<string, never>;
}

/** display_data: a MIME bundle for the front end to render. */
export interface DisplayData {
  /** MIME type -> representation (binary types base64-encoded) */
  data: JSONObject;
  metadata: JSONObject;
  /** not persisted in the notebook; e.g. display_id */
  transient: JSONObject;
}

// ---- widget protocol 2.1 (comm data of target "jupyter.widget") ----

/** Sent in the comm_open metadata of every widget comm. */
export const WIDGET_PROTOCOL_VERSION = "2.1.0";
export const WIDGET_TARGET = "jupyter.widget";
export const WIDGET_CONTROL_TARGET = "jupyter.widget.control";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

export type BufferPath = (string | number)[];

/** comm_open data: the full state with binary values removed and listed in buffer_paths. */
export interface WidgetOpenData {
  state: JSONObject;
  buffer_paths: BufferPath[];
}

/** Either side: changed state keys. From a front end the kernel answers with echo_update. */
export interface WidgetUpdate {
  method: "update";
  state: JSONObject;
  buffer_paths?: BufferPath[];
}

/**
 * Kernel -> front ends: the kernel echoes a front end's `update` to all front
 * ends (parent header = that update), so the sender knows its change was
 * applied and other views catch up (protocol 2.1, ipywidgets 8).
 */
export interface WidgetEchoUpdate {
  method: "echo_update";
  state: JSONObject;
  buffer_paths: BufferPath[];
}

/** Front end -> kernel: answer with an `update` carrying the whole state. */
export interface WidgetRequestState {
  method: "request_state";
}

/** Either side: a widget-specific message; binary parts travel as the message's buffers. */
export interface WidgetCustom {
  method: "custom";
  content: unknown;
}

export type WidgetMessage = WidgetUpdate | WidgetEchoUpdate | WidgetRequestState | WidgetCustom;

/** Front end -> kernel on a "jupyter.widget.control" comm: send every live widget's state. */
export interface ControlRequestStates {
  method: "request_states";
}

/**
 * Kernel -> front end: every live widget. buffer_paths start with the model id,
 * then the path inside that model's record, e.g. [id, "state", "data"].
 */
export interface ControlUpdateStates {
  method: "update_states";
  states: Record<string, { model_name: string; model_module: string; model_module_version: string; state: JSONObject }>;
  buffer_paths: BufferPath[];
}

/** The MIME payload that makes a front end render a widget view. */
export interface WidgetViewMime {
  model_id: string;
  version_major: 2;
  version_minor: 1;
}

// Reads the frames of JupyterLab's kernel websocket ("v1.kernel.websocket.jupyter.org"
// subprotocol, jupyter_server's serialize_msg_to_ws_v1): an offset count, the offsets, then the
// channel, header, parent_header, metadata, content and the binary buffers, all as byte ranges.

export interface WireMessage {
  channel: string;
  msgType: string;
  /** comm_id of comm_open / comm_msg / comm_close, else null */
  commId: string | null;
  /** for comm_open: the model name in data.state, else null */
  modelName: string | null;
  /** the whole frame */
  bytes: number;
  /** the binary buffers' sizes */
  buffers: number[];
}

export function parseFrame(payload: string | Buffer): WireMessage | null {
  if (typeof payload === "string") return parseJsonFrame(payload);
  if (payload.length < 16) return null;
  const count = Number(payload.readBigUInt64LE(0));
  if (count < 6 || 8 * (count + 1) > payload.length) return null;
  const offsets = Array.from({ length: count }, (_, i) => Number(payload.readBigUInt64LE(8 * (i + 1))));
  const part = (i: number) => payload.subarray(offsets[i], offsets[i + 1]);
  try {
    const header = JSON.parse(part(1).toString("utf8")) as { msg_type?: string };
    const content = JSON.parse(part(4).toString("utf8")) as Record<string, unknown>;
    const buffers = offsets.slice(5, -1).map((start, i) => offsets[6 + i] - start);
    return describe(part(0).toString("utf8"), header.msg_type ?? "", content, payload.length, buffers);
  } catch {
    return null;
  }
}

/** The legacy JSON text frames (no binary buffers), in case the server falls back to them. */
function parseJsonFrame(text: string): WireMessage | null {
  try {
    const msg = JSON.parse(text) as { channel?: string; header?: { msg_type?: string }; content?: Record<string, unknown> };
    return describe(msg.channel ?? "", msg.header?.msg_type ?? "", msg.content ?? {}, Buffer.byteLength(text), []);
  } catch {
    return null;
  }
}

function describe(channel: string, msgType: string, content: Record<string, unknown>, bytes: number, buffers: number[]): WireMessage {
  const commId = typeof content.comm_id === "string" ? content.comm_id : null;
  const state = (content.data as { state?: { _model_name?: unknown } } | undefined)?.state;
  const modelName = msgType === "comm_open" && typeof state?._model_name === "string" ? state._model_name : null;
  return { channel, msgType, commId, modelName, bytes, buffers };
}

// The Jupyter wire protocol over ZeroMQ (jupyter_client docs, "The Wire Protocol"):
//   [identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
// The HMAC covers exactly the four JSON frames, as jupyter_client computes it;
// binary buffers are raw frames, neither JSON-encoded nor signed. (tslab's own
// wire layer gets both wrong, so any message with buffers broke there.)
import { createHmac, randomUUID, timingSafeEqual } from "crypto";
import { bytesOf, copyToDataView } from "convlens/dist/runtime/buffers";
import { PROTOCOL_VERSION, type Header, type JSONObject, type KernelMessage } from "convlens/dist/runtime/messages";

const DELIMITER = Buffer.from("<IDS|MSG>");

export interface SigningKey {
  key: string;
  /** from the connection file, e.g. "hmac-sha256" */
  scheme: string;
}

/** A decoded incoming message plus the routing identities its reply must carry. */
export interface WireMessage extends KernelMessage {
  identities: Buffer[];
}

/** Why an incoming message was dropped. */
export class WireError extends Error {
  override readonly name = "WireError";
}

function digestAlgorithm(scheme: string): string {
  const m = /^hmac-(.+)$/.exec(scheme);
  if (!m) throw new WireError(`unsupported signature_scheme ${JSON.stringify(scheme)} (expected e.g. "hmac-sha256")`);
  return m[1];
}

/** Hex HMAC of the four JSON frames; "" when the connection has no key (signing disabled). */
export function sign(signing: SigningKey, jsonFrames: Uint8Array[]): string {
  if (!signing.key) return "";
  const hmac = createHmac(digestAlgorithm(signing.scheme), signing.key);
  for (const frame of jsonFrames) hmac.update(frame);
  return hmac.digest("hex");
}

function parseJSONObject(frame: Buffer, what: string): JSONObject {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString("utf8"));
  } catch (e) {
    throw new WireError(`${what} frame is not JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new WireError(`${what} frame is not a JSON object`);
  return value as JSONObject;
}

/** Decodes and verifies one multipart message; throws WireError if it must be dropped. */
export function decode(frames: Buffer[], signing: SigningKey): WireMessage {
  const delim = frames.findIndex((f) => f.equals(DELIMITER));
  if (delim < 0) throw new WireError("no <IDS|MSG> delimiter");
  if (frames.length < delim + 6) throw new WireError(`expected signature and 4 JSON frames after the delimiter, got ${frames.length - delim - 1} frames`);
  const signature = frames[delim + 1].toString("ascii");
  const json = frames.slice(delim + 2, delim + 6);
  const expected = sign(signing, json);
  if (signing.key) {
    const a = Buffer.from(signature);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new WireError("invalid HMAC signature");
  }
  const header = parseJSONObject(json[0], "header");
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") throw new WireError("header lacks msg_type or msg_id");
  return {
    identities: frames.slice(0, delim),
    header: header as unknown as Header,
    parentHeader: parseJSONObject(json[1], "parent_header") as KernelMessage["parentHeader"],
    metadata: parseJSONObject(json[2], "metadata"),
    content: parseJSONObject(json[3], "content"),
    buffers: frames.slice(delim + 6).map((f) => copyToDataView(f)),
  };
}

export interface OutgoingWire {
  identities?: Buffer[];
  header: Header;
  parentHeader: Header | Record<string, never>;
  metadata: JSONObject;
  content: JSONObject;
  buffers?: ArrayBufferView[];
}

/** Encodes and signs one message; buffers become raw frames after the JSON frames. */
export function encode(msg: OutgoingWire, signing: SigningKey): Buffer[] {
  const json = [msg.header, msg.parentHeader, msg.metadata, msg.content].map((part) => Buffer.from(JSON.stringify(part), "utf8"));
  const raw = (msg.buffers ?? []).map((b) => Buffer.from(bytesOf(b)));
  return [...(msg.identities ?? []), DELIMITER, Buffer.from(sign(signing, json), "ascii"), ...json, ...raw];
}

/** A new header for a kernel message in `session`. */
export function newHeader(msgType: string, session: string): Header {
  return {
    msg_id: randomUUID(),
    session,
    username: "convlens",
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

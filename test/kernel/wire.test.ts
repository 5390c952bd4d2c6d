// The wire layer: HMAC over exactly the four JSON frames, buffers as raw frames.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { decode, encode, newHeader, sign } from "../../kernel-helpers/kernel/src/wire";

const signing = { key: "secret-key", scheme: "hmac-sha256" };

function jupyterClientFrames(content: object, buffers: Buffer[] = [], key = signing.key): Buffer[] {
  // Built the way jupyter_client's Session.serialize does it, independently of wire.ts.
  const header = { msg_id: "m1", session: "s", username: "u", date: "2026-01-01T00:00:00Z", msg_type: "comm_msg", version: "5.3" };
  const json = [header, {}, {}, content].map((p) => Buffer.from(JSON.stringify(p)));
  const hmac = createHmac("sha256", key);
  json.forEach((f) => hmac.update(f));
  return [Buffer.from("client-id"), Buffer.from("<IDS|MSG>"), Buffer.from(hmac.digest("hex")), ...json, ...buffers];
}

test("a message with binary buffers signed like jupyter_client verifies, buffers intact", () => {
  const raw = Buffer.from([0, 255, 1, 254]);
  const msg = decode(jupyterClientFrames({ comm_id: "c", data: {} }, [raw]), signing);
  assert.equal(msg.header.msg_type, "comm_msg");
  assert.deepEqual(msg.identities, [Buffer.from("client-id")]);
  assert.equal(msg.buffers.length, 1);
  assert.deepEqual([...new Uint8Array(msg.buffers[0].buffer)], [0, 255, 1, 254]);
});

test("a bad signature is rejected", () => {
  const frames = jupyterClientFrames({ a: 1 }, [], "other-key");
  assert.throws(() => decode(frames, signing), /invalid HMAC signature/);
});

test("tampered content is rejected", () => {
  const frames = jupyterClientFrames({ a: 1 });
  frames[6] = Buffer.from(JSON.stringify({ a: 2 }));
  assert.throws(() => decode(frames, signing), /invalid HMAC signature/);
});

test("missing delimiter, too few frames and non-JSON frames are rejected with a reason", () => {
  assert.throws(() => decode([Buffer.from("x")], signing), /no <IDS\|MSG> delimiter/);
  assert.throws(() => decode([Buffer.from("<IDS|MSG>"), Buffer.from("sig")], signing), /expected signature and 4 JSON frames/);
  const unsigned = { key: "", scheme: "hmac-sha256" };
  const bad = [Buffer.from("<IDS|MSG>"), Buffer.from(""), Buffer.from("{"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
  assert.throws(() => decode(bad, unsigned), /header frame is not JSON/);
});

test("encode sends buffers as raw frames after the JSON and signs only the JSON frames", () => {
  const header = newHeader("comm_msg", "session-1");
  const data = new Float32Array([1, 2, 3]);
  const frames = encode({ identities: [Buffer.from("id")], header, parentHeader: {}, metadata: {}, content: { x: 1 }, buffers: [data] }, signing);
  assert.equal(frames.length, 1 + 1 + 1 + 4 + 1);
  assert.deepEqual(new Float32Array(frames[7].buffer.slice(frames[7].byteOffset, frames[7].byteOffset + frames[7].byteLength)), data);
  assert.equal(frames[2].toString(), sign(signing, frames.slice(3, 7)));
  // and it round-trips through decode
  const back = decode(frames, signing);
  assert.deepEqual(back.content, { x: 1 });
  assert.equal(back.buffers[0].getFloat32(8, true), 3);
});

test("with an empty key, messages are unsigned and accepted", () => {
  const unsigned = { key: "", scheme: "hmac-sha256" };
  const frames = encode({ header: newHeader("status", "s"), parentHeader: {}, metadata: {}, content: {} }, unsigned);
  assert.equal(frames[1].toString(), "");
  assert.equal(decode(frames, unsigned).header.msg_type, "status");
});

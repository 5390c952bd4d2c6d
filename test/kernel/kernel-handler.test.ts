// The kernel's request handling without sockets, with tslab's real TypeScript executor.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { createCellExecutor, tslabConverters } from "../../kernel-helpers/kernel/src/tslab";
import { ConvlensKernel } from "../../kernel-helpers/kernel/src/kernel";
import { installKernelRuntime, KernelRuntime } from "../../kernel-helpers/src/runtime/runtime";
import type { Header, JSONObject, KernelMessage, OutgoingMessage } from "../../kernel-helpers/src/runtime/messages";

let sent: OutgoingMessage[] = [];
const logged: string[] = [];
let kernel: ConvlensKernel;
let runtime: KernelRuntime;
const converters = tslabConverters();
let n = 0;

before(() => {
  runtime = new KernelRuntime((m) => sent.push(m), (text) => logged.push(text));
  installKernelRuntime(runtime);
  kernel = new ConvlensKernel(
    runtime,
    (console) => createCellExecutor(process.cwd(), converters, console),
    { implementationVersion: "0.0.0", typescriptVersion: "5", tslabVersion: "1.0.22" },
  );
});
after(() => {
  installKernelRuntime(undefined);
  kernel.executor.close();
});

function request(msgType: string, content: JSONObject, buffers: DataView[] = []): KernelMessage {
  const header: Header = { msg_id: `${msgType}-${++n}`, session: "s", username: "u", date: new Date().toISOString(), msg_type: msgType, version: "5.3" };
  return { header, parentHeader: {}, metadata: {}, content, buffers };
}

function outputsOf(msg: KernelMessage): OutgoingMessage[] {
  return sent.filter((m) => m.parentHeader.msg_id === msg.header.msg_id);
}

test("execute: busy, execute_input, execute_result, idle; reply ok with the count", async () => {
  const msg = request("execute_request", { code: "const a: number = 40; a + 2", silent: false, store_history: true });
  const reply = await kernel.handle(msg);
  assert.equal(reply?.msgType, "execute_reply");
  assert.equal(reply?.content.status, "ok");
  const out = outputsOf(msg).map((m) => m.msgType);
  assert.deepEqual(out, ["status", "execute_input", "execute_result", "status"]);
  const result = outputsOf(msg)[2];
  assert.deepEqual(result.content.data, { "text/plain": "42" });
  assert.equal(result.content.execution_count, reply?.content.execution_count);
});

test("a runtime error becomes one error message and an error reply naming it", async () => {
  const msg = request("execute_request", { code: 'throw new RangeError("too far")' });
  const reply = await kernel.handle(msg);
  assert.equal(reply?.content.status, "error");
  assert.equal(reply?.content.ename, "RangeError");
  assert.equal(reply?.content.evalue, "too far");
  const errors = outputsOf(msg).filter((m) => m.msgType === "error");
  assert.equal(errors.length, 1);
  const traceback = errors[0].content.traceback as string[];
  // tslab's own files, and the kernel package's request handling and tslab adapter (src or dist)
  const kernelFrame = /tslab[\\/]dist|kernel-helpers[\\/]kernel[\\/](src|dist)[\\/](kernel|tslab)\./;
  assert.ok(!traceback.some((l) => kernelFrame.test(l)), `kernel frames are trimmed:\n${traceback.join("\n")}`);
});

test("a failing cell aborts the cells queued behind it (status aborted, as ipykernel); later cells run", async () => {
  const failing = kernel.handle(request("execute_request", { code: 'throw new Error("first fails")' }));
  const queued = request("execute_request", { code: "(globalThis as any).queuedRan = true;" });
  const queuedReply = kernel.handle(queued);
  assert.equal((await failing)?.content.status, "error");
  assert.equal((await queuedReply)?.content.status, "aborted");
  assert.equal((globalThis as { queuedRan?: boolean }).queuedRan, undefined, "the aborted cell did not run");
  assert.ok(!outputsOf(queued).some((m) => m.msgType === "execute_input"), "an aborted cell publishes no execute_input");
  // a silent request's failure aborts nothing (ipykernel: only visible cells stop the queue)
  const silentFailing = kernel.handle(request("execute_request", { code: 'throw new Error("silent")', silent: true }));
  const afterSilent = kernel.handle(request("execute_request", { code: "1" }));
  assert.equal((await silentFailing)?.content.status, "error");
  assert.equal((await afterSilent)?.content.status, "ok");
  assert.equal((await kernel.handle(request("execute_request", { code: "2" })))?.content.status, "ok");
});

test("queued cells: each is busy only while it runs (busy A, idle A, busy B, idle B)", async () => {
  const a = request("execute_request", { code: "await new Promise((r) => setTimeout(r, 20)); 1" });
  const b = request("execute_request", { code: "2" });
  await Promise.all([kernel.handle(a), kernel.handle(b)]);
  const ids = [a.header.msg_id, b.header.msg_id];
  const statuses = sent
    .filter((m) => m.msgType === "status" && ids.includes(String(m.parentHeader.msg_id)))
    .map((m) => `${m.content.execution_state} ${m.parentHeader.msg_id === ids[0] ? "A" : "B"}`);
  assert.deepEqual(statuses, ["busy A", "idle A", "busy B", "idle B"]);
});

test("a type error is reported as a TypeScript compile error", async () => {
  const reply = await kernel.handle(request("execute_request", { code: 'const s: number = "text";' }));
  assert.equal(reply?.content.ename, "TypeScript compile error");
  assert.match(String(reply?.content.evalue), /not assignable to type 'number'/);
});

test("complete, inspect and is_complete come from tslab", async () => {
  await kernel.handle(request("execute_request", { code: "const myLongVariable = 1;" }));
  const complete = await kernel.handle(request("complete_request", { code: "myLongV", cursor_pos: 7 }));
  assert.ok((complete?.content.matches as string[]).includes("myLongVariable"));
  const inspect = await kernel.handle(request("inspect_request", { code: "myLongVariable", cursor_pos: 3, detail_level: 0 }));
  assert.equal(inspect?.content.found, true);
  assert.match(String((inspect?.content.data as JSONObject)["text/plain"]), /myLongVariable/);
  const incomplete = await kernel.handle(request("is_complete_request", { code: "function f() {" }));
  assert.equal(incomplete?.content.status, "incomplete");
  const complete2 = await kernel.handle(request("is_complete_request", { code: "f()" }));
  assert.equal(complete2?.content.status, "complete");
});

test("a comm_msg that arrives while a cell awaits it is processed, and the cell finishes", async () => {
  const open = request("execute_request", {
    code: [
      `import { Widget } from "./${relative(process.cwd(), join(__dirname, "..", "..", "kernel-helpers", "src", "runtime", "widget"))}";`,
      'const w = new Widget({ modelName: "M", modelModule: "m", modelModuleVersion: "1", state: { value: 0 } });',
      "(globalThis as any).testWidgetId = w.commId;",
    ].join("\n"),
  });
  assert.equal((await kernel.handle(open))?.content.status, "ok", JSON.stringify(outputsOf(open)));
  const commId = (globalThis as { testWidgetId?: string }).testWidgetId as string;
  const waiting = kernel.handle(
    request("execute_request", {
      code: 'const got = await new Promise<number>((ok) => w.on("change:value", (v: number) => ok(v))); (globalThis as any).gotValue = got;',
    }),
  );
  await new Promise((r) => setTimeout(r, 50));
  const update = request("comm_msg", { comm_id: commId, data: { method: "update", state: { value: 5 } } });
  assert.equal(await kernel.handle(update), null);
  assert.deepEqual(
    outputsOf(update).map((m) => m.msgType),
    ["status", "comm_msg", "status"],
    "busy, echo_update, idle — all with the update as parent",
  );
  const reply = await waiting;
  assert.equal(reply?.content.status, "ok");
  assert.equal((globalThis as { gotValue?: number }).gotValue, 5);
});

test("comm_info_request filters by target_name", async () => {
  const reply = await kernel.handle(request("comm_info_request", { target_name: "jupyter.widget" }));
  assert.equal(reply?.msgType, "comm_info_reply");
  const comms = reply?.content.comms as Record<string, { target_name: string }>;
  assert.ok(Object.keys(comms).length >= 1);
  assert.ok(Object.values(comms).every((c) => c.target_name === "jupyter.widget"));
  const none = await kernel.handle(request("comm_info_request", { target_name: "other" }));
  assert.deepEqual(none?.content.comms, {});
});

test("a malformed comm message gets no reply, is logged, and the next execute works", async () => {
  assert.equal(await kernel.handle(request("comm_msg", { data: "not an object" })), null);
  assert.match(logged.join("\n"), /comm_msg .* failed: CommProtocolError: comm_msg without a comm_id string/);
  const reply = await kernel.handle(request("execute_request", { code: "1" }));
  assert.equal(reply?.content.status, "ok");
});

test("kernel_info names the language and protocol", async () => {
  const reply = await kernel.handle(request("kernel_info_request", {}));
  assert.equal(reply?.content.status, "ok");
  assert.equal((reply?.content.language_info as JSONObject).name, "typescript");
  assert.equal(reply?.content.protocol_version, "5.3");
});

test("an interrupt aborts the running cell's signal, so a long computation watching it stops; the next cell gets a fresh one", async () => {
  // the cell waits on the signal the way a convlens optimisation loop does, and says what it saw
  const code = `
const signal = (globalThis as any)[Symbol.for("convlens.kernel.runtime")].cellSignal as AbortSignal;
(globalThis as any).__seen = new Promise((resolve) => signal.addEventListener("abort", () => resolve(String(signal.reason))));
await new Promise(() => {});`;
  const running = kernel.handle(request("execute_request", { code }));
  while ((globalThis as { __seen?: unknown }).__seen === undefined) await new Promise((r) => setTimeout(r, 10));
  const reply = await kernel.handle(request("interrupt_request", {}), "control");
  assert.equal(reply?.content.status, "ok");
  assert.match(String(await (globalThis as { __seen?: Promise<string> }).__seen), /the cell was interrupted/);
  assert.equal((await running)?.content.status, "error");
  const next = request("execute_request", { code: `(globalThis as any)[Symbol.for("convlens.kernel.runtime")].cellSignal.aborted` });
  await kernel.handle(next);
  assert.deepEqual(outputsOf(next).find((m) => m.msgType === "execute_result")?.content.data, { "text/plain": "false" });
});

// Entry point of the convlens kernel: `node launcher.js <connection file>`.
// tslab's TypeScript executor behind our own ZeroMQ wire layer, with comms and
// the widget protocol (see kernel.ts, runtime.ts, widget.ts).
// First: the parent pid at start, before the slow imports below (see parent-watch.ts).
import { parentAtLoad, parentsToWatch, systemProbe, watchParent, watchParentFromThread } from "./parent-watch";
// Second: V8 tiering for short-lived cell code, before the code it is for loads (see tiering.ts).
import "./tiering";
import { fastBuilderProblem } from "./fast-compile";
import { useOwnPackages } from "./own-packages";
import { CACHE_DIR } from "./compile-cache";
import { createCellExecutor, routeTslabDisplay, tslabConverters, tslabVersion } from "./tslab";
import { warmUp } from "./warm-up";
import { ConvlensKernel } from "./kernel";
import { installKernelRuntime, KernelRuntime } from "convlens/dist/runtime/runtime";
import { KernelSockets, readConnectionFile } from "./sockets";
import { join } from "node:path";

type Write = typeof process.stdout.write;

/** process.stdout/stderr of cell code become stream messages of the current request. */
function redirectStream(stream: NodeJS.WriteStream, name: "stdout" | "stderr", runtime: KernelRuntime): void {
  const decoder = new TextDecoder();
  const write = (chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    runtime.stream(name, typeof chunk === "string" ? chunk : decoder.decode(chunk));
    const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  };
  stream.write = write as Write;
}

async function main(argv: string[]): Promise<void> {
  const configPath = argv[2];
  if (!configPath) {
    console.error("usage: launcher <connection file>");
    process.exit(2);
  }
  // The real stderr, kept before cells' output is redirected: the kernel's own log.
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const log = (text: string) => void stderrWrite(`[convlens kernel] ${text}\n`);

  // A kernel whose server was killed must not live on as an orphan (issue 17): close what is
  // open if that is quick, and exit regardless within a second.
  let closeKernel: (() => Promise<void>) | undefined;
  const parents = parentsToWatch(parentAtLoad, systemProbe);
  watchParentFromThread(parents); // the same, for when a cell keeps this thread busy
  watchParent(parents, systemProbe, (reason) => {
    log(`${reason}: shutting down`);
    setTimeout(() => process.exit(0), 1000);
    void Promise.resolve()
      .then(() => closeKernel?.())
      .finally(() => process.exit(0));
  });

  const sockets = await KernelSockets.bind(readConnectionFile(configPath), log);
  const runtime = new KernelRuntime((msg) => sockets.publish(msg), log);
  installKernelRuntime(runtime);
  // tslab's own display API (`import * as tslab from "tslab"; tslab.display.html(...)`)
  routeTslabDisplay((data, update) => runtime.publish(update ? "update_display_data" : "display_data", data));
  redirectStream(process.stdout, "stdout", runtime);
  redirectStream(process.stderr, "stderr", runtime);

  // convlens and what it is built on resolve to the kernel's own copies from any folder.
  useOwnPackages(join(__dirname, ".."), true);

  // Notebook cells the set-up compiled are taken from its cache (compile-cache.ts), unless
  // CONVLENS_COMPILE_CACHE=off (to compare, or to rule the cache out).
  const convs = tslabConverters(process.env.CONVLENS_COMPILE_CACHE === "off" ? undefined : CACHE_DIR);
  // Before the first request is answered: a notebook's first cells then do not pay for first times.
  await warmUp(convs).then(
    ({ milliseconds, diagnostics }) =>
      log(
        `warmed up in ${milliseconds} ms${diagnostics ? ` (${diagnostics} diagnostics compiling a typical cell: convlens's API changed?)` : ""}`,
      ),
    (error: unknown) => log(`warm-up skipped: ${error instanceof Error ? error.message : String(error)}`),
  );
  const slowCompile = fastBuilderProblem();
  if (slowCompile) log(`cells compile at tslab's own (slower) speed: ${slowCompile}`);
  const typescriptVersion = (require("@tslab/typescript-for-tslab") as { version: string }).version;
  const kernel = new ConvlensKernel(
    runtime,
    (console) => createCellExecutor(process.cwd(), convs, console),
    {
      implementationVersion: (require("../package.json") as { version: string }).version,
      typescriptVersion,
      tslabVersion: tslabVersion(),
    },
    () => sockets.iopubFlushed(),
  );

  closeKernel = () => {
    kernel.executor.close();
    return sockets.close();
  };

  process.on("SIGINT", () => kernel.interrupt());
  // Code a cell left running (timers, promises) must not kill the kernel.
  process.on("uncaughtException", (e) => runtime.userError("code scheduled by a cell", e));
  process.on("unhandledRejection", (e) => runtime.userError("a promise of a cell (unhandled rejection)", e));

  await sockets.serve(async (msg, channel) => {
    const reply = await kernel.handle(msg, channel);
    if (msg.header.msg_type === "shutdown_request") {
      setImmediate(() => {
        kernel.executor.close();
        void sockets.close().then(() => process.exit(0));
      });
    }
    return reply;
  });
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`[convlens kernel] failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

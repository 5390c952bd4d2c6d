// Entry point of the convlens kernel: `node launcher.js <connection file>`.
// tslab's TypeScript executor behind our own ZeroMQ wire layer, with comms and
// the widget protocol (see kernel.ts, runtime.ts, widget.ts).
// First: the parent pid at start, before the slow imports below (see parent-watch.ts).
import { parentAtLoad, parentsToWatch, systemProbe, watchParent, watchParentFromThread } from "./parent-watch";
// Second: V8 tiering for short-lived cell code, before the code it is for loads (see tiering.ts).
import "./tiering";
import { addCompilerOptions, fastBuilderProblem } from "./fast-compile";
import { compilerPaths, ownPackages, resolveOwnPackages } from "./own-packages";
import {
  type Converters,
  createCellExecutor,
  precompile,
  routeTslabDisplay,
  tslabConverters,
  tslabVersion,
} from "./tslab";
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

/** What a convlens notebook's first cell imports. */
const FIRST_IMPORTS = ["convlens", "@tensorflow/tfjs-node"];

/**
 * Does now, before the kernel answers its first request, what the first cell of every convlens
 * notebook would otherwise do: load tfjs-node (libtensorflow) and convlens, and compile an import
 * of them (TypeScript reading their declarations). That is ~2 s of CPU a kernel; in a class of 16
 * students who open the notebook one by one and then run the first cell together at the teacher's
 * word, it is spent while they open it, not all at once on 2 cores (issue 18). A failure here is
 * left to the cell that imports the same, which reports it.
 */
function warmUp(converters: Converters, log: (text: string) => void): void {
  const started = performance.now();
  try {
    for (const name of FIRST_IMPORTS) require(name);
    const code = FIRST_IMPORTS.map((name, i) => `import * as m${i} from ${JSON.stringify(name)};`).join("\n");
    const diagnostics = precompile(converters, code);
    log(
      `warmed up in ${Math.round(performance.now() - started)} ms${diagnostics ? ` (${diagnostics} diagnostics compiling ${FIRST_IMPORTS.join(", ")})` : ""}`,
    );
  } catch (error) {
    log(`warm-up skipped: ${error instanceof Error ? error.message : String(error)}`);
  }
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
  const packageRoot = join(__dirname, "..");
  const own = ownPackages(packageRoot);
  resolveOwnPackages(packageRoot, own);
  addCompilerOptions({ paths: compilerPaths(own) });

  const convs = tslabConverters();
  warmUp(convs, log);
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

// Ends the kernel when the process that started it is gone (issue 17, "orphaned kernels").
//
// A Jupyter server that is killed or crashes cannot shut its kernels down; ipykernel notices on
// its own (ParentPollerUnix, fed by JPY_PARENT_PID) and exits, and so does this kernel:
//  - its parent at start: gone once process.ppid differs (the kernel was reparented to init or a
//    subreaper, which happens as soon as the parent exits, reaped or not);
//  - JPY_PARENT_PID, which jupyter_client sets to the launching process's pid: usually that same
//    parent, but when the kernelspec's argv goes through a wrapper that stays alive (a shell
//    without exec, `conda run`, ...) the parent is the wrapper, so the server is probed by pid
//    (kill(pid, 0) says ESRCH, or it is a zombie nobody reaped yet).
// A JPY_PARENT_PID that names no live process at start is ignored: children of a kernel or of a
// server inherit the variable, so it can be stale. With pid 1 (or none) as the parent at start,
// as in a container's entry process, there is no parent change to notice (ipykernel skips it too).
// The dependency-free snapshot below is taken when the launcher is loaded, before tslab's
// half a second of imports, so a server killed during start-up is still noticed.
import * as fs from "fs";
import { join } from "path";
import { Worker } from "worker_threads";

/** The parent pid and JPY_PARENT_PID when this module was loaded (the launcher imports it first). */
export const parentAtLoad = { ppid: process.ppid, jpyParentPid: process.env.JPY_PARENT_PID };

/** What the watch asks the system: the current parent pid and whether a pid still runs. */
export interface ProcessProbe {
  ppid(): number;
  exists(pid: number): boolean;
}

/** What to watch: the parent pid to see change, a further pid to see disappear (or nothing). */
export interface WatchedParents {
  ppid?: number;
  pid?: number;
}

/** The real probe: process.ppid, and kill(pid, 0) plus (on Linux) a zombie check. */
export const systemProbe: ProcessProbe = {
  ppid: () => process.ppid,
  exists(pid) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      // EPERM: it exists, owned by someone else.
      return (e as NodeJS.ErrnoException).code !== "ESRCH";
    }
    try {
      // "pid (comm) S ...": a killed process stays a zombie until its own parent reaps it.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
      return true; // no /proc (not Linux): kill(pid, 0) has the last word
    }
  },
};

/** Which parents to watch, from the parent pid and JPY_PARENT_PID seen at start. */
export function parentsToWatch(start: { ppid: number; jpyParentPid?: string }, probe: ProcessProbe): WatchedParents {
  const watched: WatchedParents = {};
  if (start.ppid > 1) watched.ppid = start.ppid;
  const declared = /^\d+$/.test(start.jpyParentPid?.trim() ?? "") ? Number(start.jpyParentPid) : 0;
  if (declared > 1 && declared !== start.ppid && probe.exists(declared)) watched.pid = declared;
  return watched;
}

/** Why the watched parent counts as gone, or undefined while it is still there. */
export function parentGone(watched: WatchedParents, probe: ProcessProbe): string | undefined {
  if (watched.ppid !== undefined) {
    const now = probe.ppid();
    if (now !== watched.ppid) return `parent process ${watched.ppid} is gone (the kernel's parent is now ${now})`;
  }
  if (watched.pid !== undefined && !probe.exists(watched.pid)) return `JPY_PARENT_PID ${watched.pid} is gone`;
  return undefined;
}

/**
 * Checks every intervalMs and calls onGone once (then stops) when the parent is gone.
 * The timer is unref'd: it never keeps the process alive by itself. Returns a stop function.
 */
export function watchParent(watched: WatchedParents, probe: ProcessProbe, onGone: (reason: string) => void, intervalMs = 1000): () => void {
  if (watched.ppid === undefined && watched.pid === undefined) return () => {};
  const timer = setInterval(() => {
    const reason = parentGone(watched, probe);
    if (reason === undefined) return;
    clearInterval(timer);
    onGone(reason);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The same watch on a thread of its own (parent-watch-worker.ts), which ends the process with
 * SIGKILL `graceMs` after the parents went if the main thread has not: a busy cell blocks the
 * main thread's timer. The thread never keeps the process alive by itself.
 */
export function watchParentFromThread(watched: WatchedParents, graceMs = 5000): void {
  if (watched.ppid === undefined && watched.pid === undefined) return;
  // the compiled .js beside this file (or the .ts under tsx, whose loader the thread inherits)
  const file = join(__dirname, `parent-watch-worker${__filename.endsWith(".ts") ? ".ts" : ".js"}`);
  new Worker(file, { workerData: { watched, graceMs } }).unref();
}

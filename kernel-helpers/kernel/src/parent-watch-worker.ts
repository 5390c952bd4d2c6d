// The parent watch's backstop, on its own thread: a cell stuck in a synchronous loop keeps the
// main thread's timer from ever firing, so an orphaned kernel would run on for as long as the
// loop does. This thread checks the same parents, and if the main thread has not ended the
// process `graceMs` after they went, ends it itself.
import { workerData } from "node:worker_threads";
import { parentGone, systemProbe, type WatchedParents } from "./parent-watch";

const { watched, graceMs } = workerData as { watched: WatchedParents; graceMs: number };
const timer = setInterval(() => {
  if (parentGone(watched, systemProbe) === undefined) return;
  clearInterval(timer);
  setTimeout(() => process.kill(process.pid, "SIGKILL"), graceMs);
}, 1000);

// Bench helpers in their own processes (own threads, own memory).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ENV = { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" };

/** A TypeScript script in bench/ run by this node with tsx; its last stdout line is JSON. */
export async function runNodeJson<T>(root: string, script: string, args: string[]): Promise<T> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "bench", script), ...args], { cwd: root, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((ok) => child.on("close", ok));
  if (code !== 0) throw new Error(`convlens bench: ${script} exited with ${code}:\n${err.slice(-2000)}`);
  return JSON.parse(out.trim().split("\n").pop() ?? "") as T;
}

export interface TimingServer {
  /** what the script printed after "ready" on its first line (e.g. its start-up time) */
  readyInfo: string;
  /** sends one job line; resolves with the milliseconds the script reports for it */
  time(job: string): Promise<number>;
  stop(): void;
}

/**
 * A Python script in bench/ (the venv's) that warms up, prints "ready ...", then answers each
 * job line on stdin with one line of milliseconds — so the caller can interleave its own runs
 * with the baseline's and both see the same load on a shared machine.
 */
export async function startTimingServer(root: string, script: string, args: string[]): Promise<TimingServer> {
  const child = spawn(join(root, ".venv", "bin", "python"), [join(root, "bench", script), ...args], { cwd: root, env: ENV, stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`convlens bench: ${script} ended early:\n${err}`);
    return String(value);
  };
  const first = await next();
  if (!first.startsWith("ready")) throw new Error(`convlens bench: ${script} did not start: ${first}\n${err}`);
  return {
    readyInfo: first.slice("ready".length).trim(),
    time: async (job) => {
      child.stdin.write(`${job}\n`);
      const answer = await next();
      const ms = Number(answer);
      if (!Number.isFinite(ms)) throw new Error(`convlens bench: ${script} answered "${answer}" to "${job}"`);
      return ms;
    },
    stop: () => child.stdin.end(),
  };
}

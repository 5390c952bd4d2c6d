// Runs a bench helper in its own process (own threads, own memory) and reads its last stdout line as JSON.
import { spawn } from "node:child_process";
import { join } from "node:path";

async function runJson<T>(root: string, command: string, args: string[], what: string): Promise<T> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((ok) => child.on("close", ok));
  if (code !== 0) throw new Error(`convlens bench: ${what} exited with ${code}:\n${err.slice(-2000)}`);
  return JSON.parse(out.trim().split("\n").pop() ?? "") as T;
}

/** A script in bench/ run by the project's venv Python. */
export function runPythonJson<T>(root: string, script: string, args: string[]): Promise<T> {
  return runJson<T>(root, join(root, ".venv", "bin", "python"), [join(root, "bench", script), ...args], script);
}

/** A TypeScript script in bench/ run by this node with tsx. */
export function runNodeJson<T>(root: string, script: string, args: string[]): Promise<T> {
  return runJson<T>(root, process.execPath, ["--import", "tsx", join(root, "bench", script), ...args], script);
}

// Runs every test suite and ends with one summary line:
//   node's test runner over test/**/*.test.ts (unit, kernel protocol, browser),
//   then pytest over test/**/test_*.py (jupyter_kernel_test, nbclient, Keras parity).
// Usage: node test/run-all.mjs [substring ...]  — only files whose path contains one.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const filters = process.argv.slice(2);

function listFiles(dir, accept) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (name === "node_modules" || name === "__pycache__") continue;
    if (statSync(full).isDirectory()) out.push(...listFiles(full, accept));
    else if (accept(name)) out.push(relative(root, full));
  }
  return out;
}
const selected = (files) => (filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files);

const env = {
  ...process.env,
  CONVLENS_ROOT: root,
  PATH: `${join(root, ".venv", "bin")}:${process.env.PATH}`,
  TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? "3",
};
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout ?? "");
  if (r.error) throw r.error;
  return { out: r.stdout ?? "", status: r.status };
}
const count = (re, text) => Number((text.match(re) ?? [])[1] ?? 0);

const nodeFiles = selected(listFiles(join(root, "test"), (n) => n.endsWith(".test.ts")));
if (nodeFiles.length) {
  const { out, status } = run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", ...nodeFiles]);
  const passed = count(/^# pass (\d+)/m, out);
  const failed = count(/^# fail (\d+)/m, out) + count(/^# cancelled (\d+)/m, out);
  totals.passed += passed;
  totals.failed += failed || (status === 0 ? 0 : 1);
  totals.skipped += count(/^# skipped (\d+)/m, out) + count(/^# todo (\d+)/m, out);
}

const pyFiles = selected(listFiles(join(root, "test"), (n) => /^test_.*\.py$/.test(n)));
if (pyFiles.length) {
  const { out, status } = run(join(root, ".venv", "bin", "python"), ["-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", ...pyFiles]);
  const last = out.trim().split("\n").pop() ?? "";
  const failed = count(/(\d+) failed/, last) + count(/(\d+) error/, last);
  totals.passed += count(/(\d+) passed/, last);
  totals.failed += failed || (status === 0 ? 0 : 1);
  totals.skipped += count(/(\d+) skipped/, last);
}

if (!nodeFiles.length && !pyFiles.length) {
  console.error(`no test file matches ${filters.join(", ")}`);
  process.exit(1);
}
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);

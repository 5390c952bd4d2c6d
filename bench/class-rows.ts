// BENCH_ONLY=class (issue 18 item 3): a class of 16 at once on one machine, a load test rather than a
// timed test. bench/class_load.py runs the classroom (a real JupyterHub, proxy, servers and convlens
// kernels) and writes one JSON result; these rows are its percentiles, memory and what was left over.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { loadNote } from "./machine";
import { atMostMs, notMeasured, row, type Row, type Unit } from "./report";
import { median } from "./stats";

export interface ClassOptions {
  students: number;
  /** explorer layer switches per student */
  switches: number;
  /** the classroom's idle timeout (s): the culling phase waits about this long plus the culler's period */
  cullAfter: number;
}

interface Step {
  seconds: number;
  cpu_s: number | null;
  rss_mb: number;
}

interface Student {
  name: string;
  /** "import", "seed1", "seed2", "explorer" and "cell <n>" for notebook 01's other cells (class_load.py notebook_steps) */
  steps: Partial<Record<string, Step>>;
  switches: { layer: number; seconds: number; cpu_s: number | null }[];
  errors: ClassError[];
  login_s?: number;
  server_s?: number;
  spawn_attempts?: number;
  kernel_start_s?: number;
  /** the kernel process's CPU seconds when its websocket opened: its start and warm-up */
  kernel_start_cpu_s?: number | null;
  rss_after_seed_mb?: number | null;
  rss_after_switches_mb?: number;
  hwm_mb?: number;
  rss_anon_mb?: number;
  rss_file_mb?: number;
  pss_after_switches_mb?: number;
}

interface ClassError {
  student: string | null;
  step: string;
  error: string;
}

interface Snapshot {
  mem_available_mb: number;
  total_rss_mb: number;
  total_pss_mb?: number;
  hub_rss_mb: number;
  proxy_rss_mb: number;
  services_rss_mb: number;
  servers_rss_mb: number;
  kernels_rss_mb: number;
  supervisor_rss_mb: number;
}

/** What bench/class_load.py writes (the parts read here). */
export interface ClassResult {
  students: number;
  cull_after: number;
  cores: number;
  load_before: number[];
  load_after: number[];
  /** the code of each step, in the order the class ran them */
  cells: Record<string, string>;
  /** CONVLENS_COMPILE_CACHE for the kernels ("on" unless set) */
  compile_cache?: string;
  errors: ClassError[];
  per_student?: Student[];
  /** one student alone before the class: import and seed cells */
  solo?: Student;
  spawn_all_s?: number;
  hub_cpu_s?: number;
  proxy_cpu_s?: number;
  /** CPU seconds so far by role (and "t", monotonic seconds) as each step opened for the class */
  cpu_at_step?: Record<string, Record<string, number>>;
  memory?: {
    margin_mb: number;
    before: Snapshot;
    after_switches?: Snapshot;
    after_culling?: Snapshot;
    peak?: Partial<Snapshot> & { lowest_mem_available_mb: number | null };
  };
  culling?: { culled: boolean; seconds: number; limit_s: number; stopped_by_api?: boolean; kernels_alive_after: number; servers_alive_after: number; memory_back: boolean };
  end?: { students: string[]; kernels_before: number; interrupt_code: number; kernels_alive_after: number; processes_left: number };
  kernels_left?: number;
  seconds: number;
}

/** Linear interpolation between the closest ranks (numpy's default); with 16 samples p95 lies between the 15th and the 16th. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p / 100) * (sorted.length - 1);
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const tally = (values: number[]) => `p50 ${s(percentile(values, 50))}, p95 ${s(percentile(values, 95))}, max ${s(Math.max(...values))}`;

/** Errors grouped by step and message (student names and ports taken out): "16 × log-in: …". */
function errorKinds(errors: ClassError[]): string {
  const kinds = new Map<string, number>();
  for (const e of errors) {
    const what = `${e.step}: ${e.error.replace(/\b(s\d\d|127\.0\.0\.1:\d+)\b/g, "…").slice(0, 200)}`;
    kinds.set(what, (kinds.get(what) ?? 0) + 1);
  }
  return [...kinds].map(([what, count]) => `${count} × ${what}`).join(" · ");
}

/** Runs class_load.py (its progress lines go to the console) and returns its result. */
async function runClassLoad(root: string, options: ClassOptions, out: string, timeoutMs: number): Promise<ClassResult> {
  const args = [join(root, "bench", "class_load.py"), "--students", String(options.students), "--switches", String(options.switches), "--cull-after", String(options.cullAfter), "--out", out];
  const child = spawn(join(root, ".venv", "bin", "python"), args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  let tail = "";
  createInterface({ input: child.stderr }).on("line", (line) => {
    tail = `${tail}${line}\n`.slice(-3000);
    if (line.startsWith("convlens class load:")) console.log(line);
  });
  // class_load.py closes its classroom on SIGTERM (its finally); a hard bound on the whole run
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`bench/class_load.py exited with ${code}: ${tail}`);
  return JSON.parse(readFileSync(out, "utf8")) as ClassResult;
}

export async function classRows(root: string, options: ClassOptions): Promise<Row[]> {
  const dir = join(root, "bench-results");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `class-load-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  const bound = (20 * 60 + 3 * options.cullAfter) * 1000;
  let result: ClassResult;
  try {
    result = await runClassLoad(root, options, out, bound);
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).slice(0, 600);
    return [notMeasured(`class (${options.students} at once)`, "ms", "see issue 18", why)];
  }
  return rowsOf(result, out);
}

/** The rows of one class_load.py result (exported for a result file read again). */
export function rowsOf(r: ClassResult, file: string): Row[] {
  const n = r.students;
  const load = loadNote([r.load_before[0], r.load_after[0]]);
  const students = r.per_student ?? [];
  const rows: Row[] = [];
  const missing = (measurement: string, unit: Unit, target: string) => rows.push(notMeasured(measurement, unit, target, `no samples (errors: ${r.errors.length}; ${file})`));

  if (r.spawn_all_s !== undefined) {
    const server = students.flatMap((p) => (p.server_s === undefined ? [] : [p.server_s * 1000]));
    const kernel = students.flatMap((p) => (p.kernel_start_s === undefined ? [] : [p.kernel_start_s * 1000]));
    const login = students.flatMap((p) => (p.login_s === undefined ? [] : [p.login_s * 1000]));
    rows.push(
      row({
        measurement: `class: ${n} log in and start their servers at once, until the last is ready`,
        unit: "ms",
        samples: [r.spawn_all_s * 1000],
        note: [
          login.length ? `log-in form + token ${tally(login)}` : "",
          server.length ? `server start (POST → progress 'ready', retries included) ${tally(server)}` : "",
          `${students.filter((p) => (p.spawn_attempts ?? 0) > 1).length} of ${n} started only on a later attempt (students start again 5 s apart), ${students.filter((p) => p.spawn_attempts === undefined).length} never` +
            " (a failed start is the hub giving up on a server that does not answer within JupyterHub's Spawner.http_timeout, 30 s by default)",
          kernel.length ? `then a convlens kernel (POST → websocket open) ${tally(kernel)}` : "",
          load,
        ].filter(Boolean).join("; "),
      }),
    );
    if (kernel.length) {
      rows.push(
        row({
          measurement: `class: a convlens kernel started (${n} at once), POST → websocket open`,
          unit: "ms",
          samples: kernel,
          note:
            "before it answers, the kernel loads tfjs-node and convlens, compiles an import of them and a typical cell, and runs convlens's paths once on a tiny model (its warm-up, kernel warm-up.ts), so that cost is here rather than in the first cells",
        }),
      );
    }
    const startCpu = students.flatMap((p) => (typeof p.kernel_start_cpu_s === "number" ? [p.kernel_start_cpu_s * 1000] : []));
    if (startCpu.length) {
      rows.push(
        row({
          measurement: "class: kernel CPU to start (load, warm-up), per kernel",
          unit: "ms",
          samples: startCpu,
          note: `utime + stime of each kernel process when its websocket opened: what opening the notebook costs the machine per student (${n} × ${s(median(startCpu))} in all)`,
        }),
      );
    }
  }

  const named: Record<string, [name: string, target: number | null]> = {
    import: ["import cell (notebook 01's first: imports, model, summary)", 5000],
    seed1: ["seed cell (a photo's 64 first-layer maps), first run", 4000],
    seed2: ["seed cell, second run", null],
    explorer: ["explorer cell", null],
  };
  const cells = Object.keys(r.cells ?? {}).map((key): [string, string, number | null] => [key, ...(named[key] ?? [key, null])]);
  for (const [key, name, target] of cells) {
    const steps = students.flatMap((p): Step[] => {
      const step = p.steps[key];
      return step ? [step] : [];
    });
    const times = steps.map((t) => t.seconds * 1000);
    const cpu = steps.flatMap((t) => (t.cpu_s === null ? [] : [t.cpu_s * 1000]));
    if (!times.length) {
      missing(`class: ${name} (${n} at once), p95`, "ms", target ? `≤ ${s(target)}` : "(info)");
      continue;
    }
    // CPU-bound floor: n kernels' CPU shared by the machine's cores
    const floor = cpu.length ? `; ${n} × kernel CPU ${s(median(cpu))} / ${r.cores} cores = ${s((median(cpu) * n) / r.cores)}: the last cannot finish sooner while all run at once` : "";
    const alone = r.solo?.steps[key];
    const baseline = alone ? { name: "1 student alone", samples: [alone.seconds * 1000] } : null;
    const aloneCpu = alone?.cpu_s ? ` (alone: kernel CPU ${s(alone.cpu_s * 1000)})` : "";
    rows.push(row({ measurement: `class: ${name} (${n} at once), p50`, unit: "ms", samples: times, baseline, note: `execute_request → reply and idle, per student${aloneCpu}` }));
    rows.push(row({ measurement: `class: ${name} (${n} at once), p95`, unit: "ms", samples: [percentile(times, 95)], target: target ? atMostMs(target) : null, note: `${tally(times)} over ${times.length} students${floor}; ${load}` }));
    if (key !== "explorer" && cpu.length) {
      rows.push(row({ measurement: `class: kernel CPU per ${name}`, unit: "ms", samples: cpu, note: "utime + stime of the kernel process (all its threads) across the cell, per student (CPU time, not wall time)" }));
    }
    const spent = cpuDuring(r, key);
    if (spent) rows.push(spent);
  }

  const switches = students.flatMap((p) => p.switches.map((w) => w.seconds * 1000));
  if (switches.length) {
    const cpu = students.flatMap((p) => p.switches.flatMap((w) => (w.cpu_s === null ? [] : [w.cpu_s * 1000])));
    const note = `comm_msg {method: "update", state: {layer_index}} → the kernel's update with that layer's panels; ${switches.length} switches, ${n} students at once each time; kernel CPU per switch median ${s(median(cpu))}`;
    rows.push(row({ measurement: `class: explorer layer switch (${n} at once), p50`, unit: "ms", samples: switches, note }));
    rows.push(row({ measurement: `class: explorer layer switch (${n} at once), p95`, unit: "ms", samples: [percentile(switches, 95)], note: `${tally(switches)}; ${load}` }));
  } else {
    missing(`class: explorer layer switch (${n} at once), p95`, "ms", "(info)");
  }

  const errors = r.errors;
  const cacheNote = r.compile_cache === "off" ? "; kernels without the set-up's compile cache (CONVLENS_COMPILE_CACHE=off)" : "";
  rows.push(
    row({
      measurement: "class: errors (error outputs, stderr, failed replies or switches, timeouts, leftovers)",
      unit: "count",
      samples: [errors.length],
      target: { text: "0", check: (m) => m === 0 },
      note: (errors.length ? errorKinds(errors) + ` (${file})` : "none") + cacheNote,
    }),
  );

  const rss = students.flatMap((p) => (p.rss_after_switches_mb === undefined ? [] : [p.rss_after_switches_mb]));
  if (rss.length) {
    const hwm = students.flatMap((p) => (p.hwm_mb === undefined ? [] : [p.hwm_mb]));
    const seed = students.flatMap((p) => (typeof p.rss_after_seed_mb === "number" ? [p.rss_after_seed_mb] : []));
    rows.push(
      row({
        measurement: "class: kernel RSS after the explorer switches (the demo network)",
        unit: "MB",
        samples: rss,
        target: { text: "≤ 600 MB (every kernel)", check: () => Math.max(...rss) <= 600 },
        note: `max ${Math.max(...rss).toFixed(0)} MB; after the two seed runs median ${seed.length ? median(seed).toFixed(0) : "?"} MB; peak (VmHWM) max ${Math.max(...hwm).toFixed(0)} MB; ${rss.length} kernels`,
      }),
    );
    const pss = students.flatMap((p) => (p.pss_after_switches_mb === undefined ? [] : [p.pss_after_switches_mb]));
    const anon = students.flatMap((p) => (p.rss_anon_mb === undefined ? [] : [p.rss_anon_mb]));
    const file = students.flatMap((p) => (p.rss_file_mb === undefined ? [] : [p.rss_file_mb]));
    if (pss.length) {
      rows.push(
        row({
          measurement: "class: kernel PSS after the explorer switches (shared pages split between the processes)",
          unit: "MB",
          samples: pss,
          note:
            `of each kernel's RSS, its own (anonymous) memory median ${anon.length ? median(anon).toFixed(0) : "?"} MB and mapped files ` +
            `median ${file.length ? median(file).toFixed(0) : "?"} MB (libtensorflow's code and data mostly: the same pages in every kernel, ` +
            "so the RSS row counts them once per kernel, PSS once for the class)",
        }),
      );
    }
  } else {
    missing("class: kernel RSS after the explorer switches (the demo network)", "MB", "≤ 600 MB (every kernel)");
  }

  const memory = r.memory;
  if (memory?.peak) {
    const peak = memory.peak;
    const end = memory.after_switches;
    rows.push(row({ measurement: "class: hub RSS, peak", unit: "MB", samples: [peak.hub_rss_mb ?? 0], note: `before the students ${memory.before.hub_rss_mb.toFixed(0)} MB; hub CPU over the class ${r.hub_cpu_s?.toFixed(1) ?? "?"} s` }));
    rows.push(row({ measurement: "class: proxy RSS, peak", unit: "MB", samples: [peak.proxy_rss_mb ?? 0], note: `before the students ${memory.before.proxy_rss_mb.toFixed(0)} MB; proxy CPU over the class ${r.proxy_cpu_s?.toFixed(1) ?? "?"} s` }));
    rows.push(
      row({
        measurement: `class: total RSS of the class, peak (${n} servers and kernels, hub, proxy, culler)`,
        unit: "MB",
        samples: [peak.total_rss_mb ?? 0],
        note:
          `sampled every second: kernels ${peak.kernels_rss_mb?.toFixed(0)} MB, servers ${peak.servers_rss_mb?.toFixed(0)} MB; ` +
          (end?.total_pss_mb !== undefined ? `PSS (shared pages counted once) after the switches ${end.total_pss_mb.toFixed(0)} MB; ` : "") +
          (peak.lowest_mem_available_mb !== null ? `MemAvailable ${memory.before.mem_available_mb.toFixed(0)} MB before, lowest ${peak.lowest_mem_available_mb.toFixed(0)} MB` : ""),
      }),
    );
  }
  const culling = r.culling;
  if (memory?.after_culling && culling) {
    const after = memory.after_culling;
    rows.push(
      row({
        measurement: "class: MemAvailable not back after culling (start − after)",
        unit: "MB",
        samples: [memory.before.mem_available_mb - after.mem_available_mb],
        target: { text: `≤ ${memory.margin_mb} MB`, check: (m) => m <= memory.margin_mb },
        note:
          `the class's own RSS ${memory.before.total_rss_mb.toFixed(0)} MB before the students → ${after.total_rss_mb.toFixed(0)} MB after culling (hub, proxy, culler, classroom.py); ` +
          `MemAvailable is the machine's: others' processes move it (negative: more free than at the start)`,
      }),
    );
    rows.push(
      row({
        measurement: `class: idle → every server stopped by the idle culler (--cull-after ${r.cull_after})`,
        unit: "ms",
        samples: [culling.seconds * 1000],
        note: culling.stopped_by_api ? `the culler had not stopped them within ${culling.limit_s} s: stopped through the hub's API` : `the culler's bound here: ${culling.limit_s} s`,
      }),
    );
    rows.push(
      row({
        measurement: "class: kernels and servers left after culling",
        unit: "count",
        samples: [culling.kernels_alive_after + culling.servers_alive_after],
        target: { text: "0", check: (m) => m === 0 },
        note: `${culling.kernels_alive_after} kernel(s), ${culling.servers_alive_after} server(s)`,
      }),
    );
  }
  if (r.end) {
    rows.push(
      row({
        measurement: `class: processes left after Ctrl+C ends the class (${r.end.kernels_before} kernels running)`,
        unit: "count",
        samples: [r.end.kernels_alive_after + r.end.processes_left],
        target: { text: "0", check: (m) => m === 0 },
        note: `classroom.py exit code ${r.end.interrupt_code}; kernels left ${r.end.kernels_alive_after}, other classroom processes left ${r.end.processes_left}; after the harness's close() no convlens kernel of the run left: ${r.kernels_left === 0 ? "yes" : `no (${r.kernels_left})`}`,
      }),
    );
  }
  return rows;
}

/** Where the machine's CPU went while the class ran step `key`: from its opening to the next one's. */
function cpuDuring(r: ClassResult, key: string): Row | null {
  const steps = Object.keys(r.cpu_at_step ?? {});
  const [from, to] = [r.cpu_at_step?.[key], r.cpu_at_step?.[steps[steps.indexOf(key) + 1]]];
  if (key !== "seed1" || !from || !to) return null;
  const delta = (role: string) => (to[role] ?? 0) - (from[role] ?? 0);
  const roles: [string, string][] = [
    ["kernels", "kernels"],
    ["servers", "servers"],
    ["hub", "hub"],
    ["proxy", "proxy"],
    ["students", "the bench's simulated students (one Python process; a class's browsers run on the students' machines)"],
  ];
  const total = roles.reduce((sum, [role]) => sum + delta(role), 0);
  const wall = delta("t");
  return row({
    measurement: "class: CPU while the class ran the seed's first run, all processes",
    unit: "ms",
    samples: [total * 1000],
    note: `${roles.map(([role, label]) => `${label} ${s(delta(role) * 1000)}`).join(", ")}; over ${s(wall * 1000)} until the class's next step, ${r.cores} cores: ${s(wall * r.cores * 1000)} of CPU to spend`,
  });
}

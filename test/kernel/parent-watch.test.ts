// The kernel's parent watch (issue 17) without a kernel: which parents it watches, when it
// calls them gone, and that its timer never keeps a process alive. test_parent_watch.py kills
// the real kernel's parent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { parentGone, parentsToWatch, systemProbe, watchParent, type ProcessProbe } from "../../kernel-helpers/kernel/src/parent-watch";

/** A probe over a fake process table: the current parent pid and the pids that exist. */
function fakeProbe(ppid: number, existing: number[]): ProcessProbe & { ppidNow: number; existing: Set<number> } {
  return {
    ppidNow: ppid,
    existing: new Set(existing),
    ppid() {
      return this.ppidNow;
    },
    exists(pid) {
      return this.existing.has(pid);
    },
  };
}

test("the parent at start is watched for a change, unless it is pid 1 or none", () => {
  const probe = fakeProbe(500, [500]);
  assert.deepEqual(parentsToWatch({ ppid: 500 }, probe), { ppid: 500 });
  assert.deepEqual(parentsToWatch({ ppid: 1 }, probe), {});
  assert.deepEqual(parentsToWatch({ ppid: 0 }, probe), {});
});

test("JPY_PARENT_PID is watched by pid only when it names another live process", () => {
  const probe = fakeProbe(500, [500, 400]);
  // jupyter_client's usual case: the launching server is the parent itself.
  assert.deepEqual(parentsToWatch({ ppid: 500, jpyParentPid: "500" }, probe), { ppid: 500 });
  // A wrapper (a shell without exec) between the server and the kernel.
  assert.deepEqual(parentsToWatch({ ppid: 500, jpyParentPid: "400" }, probe), { ppid: 500, pid: 400 });
  assert.deepEqual(parentsToWatch({ ppid: 1, jpyParentPid: "400" }, probe), { pid: 400 });
  // Stale (inherited from a process long gone), init, or not a pid: ignored.
  for (const jpyParentPid of ["300", "1", "0", "", "abc", "-400", "400x"]) {
    assert.deepEqual(parentsToWatch({ ppid: 500, jpyParentPid }, probe), { ppid: 500 }, jpyParentPid);
  }
});

test("the parent is gone when the kernel was reparented or the JPY_PARENT_PID process ended", () => {
  const probe = fakeProbe(500, [500, 400]);
  assert.equal(parentGone({ ppid: 500, pid: 400 }, probe), undefined);
  probe.ppidNow = 1;
  assert.match(parentGone({ ppid: 500 }, probe) ?? "", /parent process 500 is gone \(the kernel's parent is now 1\)/);
  probe.ppidNow = 77; // reparented to a subreaper, not init
  assert.match(parentGone({ ppid: 500 }, probe) ?? "", /parent process 500 is gone/);
  probe.ppidNow = 500;
  probe.existing.delete(400);
  assert.match(parentGone({ ppid: 500, pid: 400 }, probe) ?? "", /JPY_PARENT_PID 400 is gone/);
  assert.equal(parentGone({}, probe), undefined);
});

test("watchParent polls until the parent is gone, calls onGone once and stops", async () => {
  const probe = fakeProbe(500, [500]);
  const reasons: string[] = [];
  const stop = watchParent({ ppid: 500 }, probe, (reason) => reasons.push(reason), 5);
  try {
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(reasons, []);
    probe.ppidNow = 1;
    const deadline = Date.now() + 10_000;
    while (reasons.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /parent process 500 is gone/);
  } finally {
    stop();
  }
});

test("watchParent's timer never keeps the process alive", () => {
  // getActiveResourcesInfo lists ref'd timers only.
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  const stop = watchParent({ ppid: 500 }, fakeProbe(500, [500]), () => {}, 5);
  try {
    assert.equal(timers(), before);
  } finally {
    stop();
  }
});

test("the system probe sees this process, not a reaped one, and counts a zombie as gone", { skip: !existsSync("/proc/self/stat") }, async () => {
  assert.equal(systemProbe.ppid(), process.ppid);
  assert.equal(systemProbe.exists(process.pid), true);

  const done = spawn("true");
  await once(done, "exit");
  assert.equal(systemProbe.exists(done.pid!), false);

  // `sleep 0` is started by sh, which then execs a `sleep` that never waits for it: a zombie.
  const holder = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const [line] = (await once(holder.stdout!, "data")) as [Buffer];
    const zombie = Number(line.toString().trim());
    const state = () => {
      const stat = readFileSync(`/proc/${zombie}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    };
    const deadline = Date.now() + 10_000;
    while (state() !== "Z" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(state(), "Z");
    process.kill(zombie, 0); // kill(pid, 0) alone still finds it
    assert.equal(systemProbe.exists(zombie), false);
  } finally {
    holder.kill("SIGKILL");
  }
});

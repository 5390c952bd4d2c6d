// A recording kernel runtime for tests of what cells call (show*, compare, …) without a kernel:
// installed around every test of the file, it keeps what the kernel sent and logged.
import { afterEach, beforeEach } from "node:test";
import type { OutgoingMessage } from "../../kernel-helpers/src/runtime/messages";
import { installKernelRuntime, KernelRuntime } from "../../kernel-helpers/src/runtime/runtime";

export interface Recording {
  /** every message the kernel sent in this test, in order (a test may empty it) */
  sent: OutgoingMessage[];
  /** the kernel's own log lines */
  logged: string[];
}

export function recordKernel(): Recording {
  const recording: Recording = { sent: [], logged: [] };
  beforeEach(() => {
    recording.sent = [];
    recording.logged = [];
    installKernelRuntime(new KernelRuntime((m) => recording.sent.push(m), (text) => recording.logged.push(text)));
  });
  afterEach(() => installKernelRuntime(undefined));
  return recording;
}

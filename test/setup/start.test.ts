// `npm start` (scripts/start.sh): with the set-up in place it reuses everything and
// serves JupyterLab on notebooks/, printing the URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT } from "../support/jupyterlab";

test("npm start serves JupyterLab on notebooks/ and prints its URL", async () => {
  const port = await freePort();
  const token = randomBytes(8).toString("hex");
  const child = spawn("npm", ["start", "--", `--IdentityProvider.token=${token}`, "--LabApp.news_url="], {
    cwd: ROOT,
    env: { ...process.env, CONVLENS_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  try {
    const deadline = Date.now() + 240_000;
    let listing: { content?: { name: string }[] } | undefined;
    while (Date.now() < deadline && !listing) {
      assert.equal(child.exitCode, null, `npm start exited early:\n${output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/contents/?token=${token}`);
        if (res.ok) listing = (await res.json()) as typeof listing;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    assert.ok(listing, `JupyterLab did not answer on port ${port}:\n${output}`);
    // The server's root is notebooks/: its listing is that folder's.
    const names = (listing.content ?? []).map((e) => e.name).sort();
    const expected = readdirSync(join(ROOT, "notebooks")).filter((n) => !n.startsWith(".")).sort();
    assert.deepEqual(names, expected);
    assert.match(output, new RegExp(`http://[^\\s]*:${port}/lab`), output);
    assert.match(output, /set-up complete/);
  } finally {
    process.kill(-child.pid!, "SIGTERM");
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { cachedDownload } from "../../kernel-helpers/src/models/download";
import { vgg16 } from "../../kernel-helpers/src/index";
import { serveFiles, tempDir } from "./fixtures";

// vgg16() and the default cacheDir use convlens's cache and look in Keras's: empty temporary ones, so the
// user's are never touched.
const kerasHome = tempDir();
process.env.KERAS_HOME = kerasHome;
const ownCache = tempDir();
process.env.CONVLENS_CACHE_DIR = ownCache;
delete process.env.CONVLENS_DOWNLOAD_TIMEOUT_MS;

const VGG16_NOTOP = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5";
const VGG19_TOP = "vgg19_weights_tf_dim_ordering_tf_kernels.h5";
// Digests as published for this sentence (Wikipedia's MD5 and SHA-2 articles; md5sum and sha256sum agree),
// and the md5 of "" from RFC 1321's test suite.
const FOX = Buffer.from("The quick brown fox jumps over the lazy dog");
const FOX_MD5 = "9e107d9d372bb6826bd81d3542a419d6";
const FOX_SHA256 = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592";
const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

/** Rejects with a ConvlensError whose message contains every string (literally) and matches every RegExp. */
async function rejectsWith(promise: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.equal(error.name, "ConvlensError", error.stack);
    assert.match(error.message, /^convlens: /);
    for (const part of parts) {
      if (typeof part === "string") assert.ok(error.message.includes(part), `${JSON.stringify(part)} not in ${error.message}`);
      else assert.match(error.message, part);
    }
    return true;
  });
}

/** Every file and folder under `root`, as relative paths (folders end in "/"). */
function tree(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    out.push(entry.name + (entry.isDirectory() ? "/" : ""));
    if (entry.isDirectory()) out.push(...tree(join(root, entry.name)).map((p) => join(entry.name, p)));
  }
  return out.sort();
}

/** A 127.0.0.1 server running `handler`; close() also destroys its open connections. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("a file name that would leave the cache folder is refused, and nothing is written outside it", async () => {
  const root = tempDir();
  const cacheDir = join(root, "a", "b", "cache");
  mkdirSync(cacheDir, { recursive: true });
  const escaping = [
    ["/x/..%2F..%2Fescaped.txt", "../../escaped.txt"],
    ["/x/%2E%2E%2F%2E%2E%2Fescaped2.txt", "../../escaped2.txt"],
    ["/x/%2e%2e%5cescaped3.txt", "..\\escaped3.txt"],
    ["/x/evil%00.txt", "evil\0.txt"],
  ];
  const paths = [...escaping.map(([path]) => path), "/x/plain.txt", "/x/ok%20name.txt"];
  const files = Object.fromEntries(paths.map((p) => [p, FOX]));
  const server = await serveFiles(files);
  try {
    const options = { cacheDir, searchDirs: [] };
    for (const [path, name] of escaping) {
      await rejectsWith(
        cachedDownload(`${server.url}${path}`, options),
        `the file name ${JSON.stringify(name)} in ${server.url}${path} is not a plain file name`,
        `nothing was downloaded. Pass fileName with a plain name such as "weights.h5"`,
      );
    }
    await rejectsWith(
      cachedDownload(`${server.url}/x/plain.txt`, { ...options, fileName: "../escaped4.txt" }),
      `fileName "../escaped4.txt" is not a plain file name (it must not contain "/", "\\", ".." or NUL)`,
    );
    for (const fileName of ["..", ".", "a\\b", "a/b", "x\0y", "a..b"]) {
      await rejectsWith(cachedDownload(`${server.url}/x/plain.txt`, { ...options, fileName }), "is not a plain file name");
    }
    await rejectsWith(
      cachedDownload(`${server.url}/x/bad%E0%A4%A.txt`, options),
      `cannot tell a file name from ${server.url}/x/bad%E0%A4%A.txt: "bad%E0%A4%A.txt" has a malformed %-encoding; ` +
        "fix the URL or pass fileName",
    );
    assert.deepEqual([...server.hits.keys()], [], "nothing was requested");
    // a plain name with an encoded space still works, and lands in the cache folder
    assert.equal(await cachedDownload(`${server.url}/x/ok%20name.txt`, options), join(cacheDir, "ok name.txt"));
    assert.deepEqual(tree(root), ["a/", "a/b/", "a/b/cache/", "a/b/cache/ok name.txt"]);
  } finally {
    await server.close();
  }
});

test("a download under a known VGG file name whose md5 is not Keras's is refused and cached nowhere", async () => {
  const root = tempDir();
  const cacheDir = join(root, "cache");
  const server = await serveFiles({ [`/w/${VGG16_NOTOP}`]: FOX });
  try {
    await rejectsWith(
      cachedDownload(`${server.url}/w/${VGG16_NOTOP}`, { cacheDir, searchDirs: [] }),
      `the file downloaded from ${server.url}/w/${VGG16_NOTOP} is not ${VGG16_NOTOP}: its md5 is ${FOX_MD5}, ` +
        `Keras's published one is 6d6bbae143d832006294945121d1f1fc; nothing was cached. ` +
        "The download was damaged or the URL serves another file: try again, or check the URL",
    );
    assert.deepEqual(tree(root), ["cache/"], "no .part file, nothing renamed into the cache");
    // by default into convlens's own (here: a temporary) cache, never Keras's
    await rejectsWith(cachedDownload(`${server.url}/w/${VGG16_NOTOP}`), `is not ${VGG16_NOTOP}: its md5 is ${FOX_MD5}`);
    assert.deepEqual([...tree(ownCache), ...tree(kerasHome)].filter((p) => p.includes(VGG16_NOTOP)), []);
  } finally {
    await server.close();
  }
});

test("a cached copy of a known VGG file whose md5 is not Keras's is refused and left where it is", async () => {
  const cacheDir = tempDir();
  const bad = join(cacheDir, VGG16_NOTOP);
  writeFileSync(bad, FOX);
  // "imagenet" would download from Google: the wrong copy in cacheDir is found first
  await rejectsWith(
    vgg16({ cacheDir, inputShape: [32, 32, 3], onProgress: false }),
    `the cached ${bad} is damaged or another file: its md5 is ${FOX_MD5}, Keras's published md5 of ${VGG16_NOTOP} ` +
      `is 6d6bbae143d832006294945121d1f1fc. Delete it (rm "${bad}") and run again to download a fresh copy`,
  );
  assert.deepEqual(readFileSync(bad), FOX, "convlens deletes no file it did not write");
  // in Keras's own cache (KERAS_HOME/models) too, and that file is certainly not deleted; found through
  // cacheDirs() as vgg19({ includeTop: true }) would, without building its 143M weights
  const kerasCopy = join(kerasHome, "models", VGG19_TOP);
  mkdirSync(join(kerasHome, "models"), { recursive: true });
  writeFileSync(kerasCopy, FOX);
  await rejectsWith(
    cachedDownload(`http://127.0.0.1:9/vgg19/${VGG19_TOP}`, { cacheDir: tempDir() }),
    `the cached ${kerasCopy} is damaged or another file: its md5 is ${FOX_MD5}`,
    `is cbe5617147190e668d6c5d5026f83318. Delete it`,
  );
  assert.deepEqual(readFileSync(kerasCopy), FOX);
});

test("expectedHash accepts a matching md5 or sha256, on download and on a cache hit, and refuses a mismatch", async () => {
  const cacheDir = tempDir();
  const server = await serveFiles({ "/f/fox.txt": FOX, "/f/fox2.txt": FOX, "/f/fox3.txt": FOX });
  try {
    const options = { cacheDir, searchDirs: [] };
    const md5 = { algorithm: "md5", digest: FOX_MD5 } as const;
    const fox = await cachedDownload(`${server.url}/f/fox.txt`, { ...options, expectedHash: md5 });
    assert.equal(fox, join(cacheDir, "fox.txt"));
    assert.deepEqual(readFileSync(join(cacheDir, "fox.txt")), FOX);
    const hits: boolean[] = [];
    const onProgress = (p: { fromCache: boolean }) => hits.push(p.fromCache);
    await cachedDownload(`${server.url}/f/fox.txt`, { ...options, expectedHash: md5, onProgress });
    assert.deepEqual(hits, [true]);
    assert.equal(server.hits.get("/f/fox.txt"), 1);
    const sha256 = { algorithm: "sha256", digest: FOX_SHA256.toUpperCase() } as const;
    const fox2 = await cachedDownload(`${server.url}/f/fox2.txt`, { ...options, expectedHash: sha256 });
    assert.equal(fox2, join(cacheDir, "fox2.txt"));

    const empty = { algorithm: "md5", digest: EMPTY_MD5 } as const;
    await rejectsWith(
      cachedDownload(`${server.url}/f/fox3.txt`, { ...options, expectedHash: empty }),
      `is not fox3.txt: its md5 is ${FOX_MD5}, the expected one is ${EMPTY_MD5}; nothing was cached`,
    );
    await rejectsWith(
      cachedDownload(`${server.url}/f/fox.txt`, { ...options, expectedHash: empty }),
      `the cached ${join(cacheDir, "fox.txt")} is damaged or another file: its md5 is ${FOX_MD5}, the expected md5`,
    );
    assert.deepEqual(readdirSync(cacheDir).sort(), ["fox.txt", "fox2.txt"]);
    await rejectsWith(
      cachedDownload(`${server.url}/f/fox3.txt`, { ...options, expectedHash: { algorithm: "md5", digest: FOX_SHA256 } }),
      `expectedHash is { algorithm: "md5", digest: <32 hex digits> } or { algorithm: "sha256", digest: <64 hex digits> }`,
    );
  } finally {
    await server.close();
  }
});

test("a server that accepts the connection and never answers times out, naming the URL", { timeout: 20_000 }, async () => {
  const root = tempDir();
  const cacheDir = join(root, "cache");
  let requests = 0;
  const server = await serve(() => void requests++);
  try {
    await rejectsWith(
      cachedDownload(`${server.url}/w/silent.h5`, { cacheDir, searchDirs: [], responseTimeoutMs: 300 }),
      `download of ${server.url}/w/silent.h5 timed out: no response within 0.3 s (response timeout); nothing was cached.`,
      "CONVLENS_DOWNLOAD_TIMEOUT_MS",
    );
    assert.equal(requests, 1, "the request reached the server");
    assert.deepEqual(tree(root), ["cache/"]);
    // vgg16() has no timeout option: the environment variable sets both
    process.env.CONVLENS_DOWNLOAD_TIMEOUT_MS = "300";
    try {
      await rejectsWith(
        vgg16({ weights: `${server.url}/w/${VGG16_NOTOP}`, cacheDir, inputShape: [32, 32, 3], onProgress: false }),
        `download of ${server.url}/w/${VGG16_NOTOP} timed out: no response within 0.3 s (response timeout); `,
        "nothing was cached",
      );
    } finally {
      delete process.env.CONVLENS_DOWNLOAD_TIMEOUT_MS;
    }
    assert.deepEqual(tree(root), ["cache/"]);
  } finally {
    await server.close();
  }
});

const STALL = "a download that sends headers and a few bytes, then stalls, times out and leaves no .part file";
test(STALL, { timeout: 20_000 }, async () => {
  const root = tempDir();
  const cacheDir = join(root, "cache");
  const server = await serve((_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": 1000 });
    res.write(Buffer.alloc(10, 7));
  });
  try {
    const progress: number[] = [];
    const onProgress = (p: { loaded: number }) => progress.push(p.loaded);
    const options = { cacheDir, searchDirs: [], idleTimeoutMs: 300, onProgress };
    await rejectsWith(
      cachedDownload(`${server.url}/w/stalls.h5`, options),
      `download of ${server.url}/w/stalls.h5 stalled: no data for 0.3 s after 10 of 1000 bytes (idle timeout); ` +
        "nothing was cached. Try again, or raise the timeout",
    );
    assert.deepEqual(progress, [10]);
    assert.deepEqual(tree(root), ["cache/"], "the .part file was removed");
  } finally {
    await server.close();
  }
});

test("a bad timeout is a clear error", async () => {
  const url = "http://127.0.0.1:9/x.h5";
  const cacheDir = tempDir();
  await rejectsWith(
    cachedDownload(url, { cacheDir, responseTimeoutMs: 0 }),
    "responseTimeoutMs number 0 is not a timeout: give a number of milliseconds above 0 and below 2^31",
  );
  await rejectsWith(cachedDownload(url, { cacheDir, idleTimeoutMs: NaN }), "idleTimeoutMs number NaN is not a timeout");
  process.env.CONVLENS_DOWNLOAD_TIMEOUT_MS = "30s";
  try {
    await rejectsWith(cachedDownload(url, { cacheDir }), `CONVLENS_DOWNLOAD_TIMEOUT_MS="30s" is not a timeout`);
  } finally {
    delete process.env.CONVLENS_DOWNLOAD_TIMEOUT_MS;
  }
});

test("after a successful download no timer keeps the process alive", { timeout: 30_000 }, async () => {
  const cacheDir = tempDir();
  const server = await serveFiles({ "/f/fox.txt": FOX });
  try {
    // With its 60 s timeouts left armed the child would outlive this test's upper bound.
    const script = `
      const { cachedDownload } = require("./kernel-helpers/src/models/download");
      cachedDownload(process.argv[1], { cacheDir: process.argv[2], searchDirs: [] }).then((path) => console.log(path));
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script, `${server.url}/f/fox.txt`, cacheDir], {
      cwd: join(__dirname, "..", ".."),
      env: { ...process.env, CONVLENS_DOWNLOAD_TIMEOUT_MS: "60000" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    try {
      const [code] = await once(child, "exit", { signal: AbortSignal.timeout(25_000) });
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
    assert.equal(out.trim(), join(cacheDir, "fox.txt"));
    assert.ok(existsSync(join(cacheDir, "fox.txt")));
  } finally {
    await server.close();
  }
});

test("by default a download is stored in convlens's own cache, never in Keras's, which is only searched", async () => {
  const server = await serveFiles({ "/f/plain.bin": FOX });
  try {
    const path = await cachedDownload(`${server.url}/f/plain.bin`);
    assert.equal(path, join(ownCache, "plain.bin"));
    assert.deepEqual(readFileSync(path), FOX);
    assert.deepEqual(tree(kerasHome).filter((p) => p.includes("plain.bin")), []);
  } finally {
    await server.close();
  }
});

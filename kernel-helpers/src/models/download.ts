// Downloads into a cache with progress. A file is only ever cached whole: bytes go to a
// temporary file beside the target, which is checked and then renamed into place.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { ConvlensError, describeValue } from "../errors";

export interface DownloadProgress {
  url: string;
  /** bytes received so far (the file's size on a cache hit) */
  loaded: number;
  /** the size the server announced, if it did */
  total?: number;
  /** true when the file was found in a cache and nothing was downloaded */
  fromCache: boolean;
  done: boolean;
}
export type ProgressHandler = (progress: DownloadProgress) => void;

/**
 * Where downloads are looked for: convlens's own cache first (CONVLENS_CACHE_DIR, else
 * $XDG_CACHE_HOME/convlens or ~/.cache/convlens), where they are also stored, then Keras's cache
 * (KERAS_HOME/models or ~/.keras/models), so a file Keras already downloaded is reused. convlens
 * writes only to its own.
 */
export function cacheDirs(): string[] {
  const own = process.env.CONVLENS_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "convlens");
  return [own, join(process.env.KERAS_HOME ?? join(homedir(), ".keras"), "models")];
}

/** A progress bar written to stderr with carriage returns (JupyterLab redraws it in place). */
export function textProgress(label = "downloading"): ProgressHandler {
  let lastPercent = -1;
  return ({ url, loaded, total, fromCache, done }) => {
    if (fromCache) {
      process.stderr.write(`convlens: using cached ${basename(new URL(url).pathname)}\n`);
      return;
    }
    const mb = (n: number) => (n / 1e6).toFixed(1);
    if (total) {
      const percent = Math.floor((100 * loaded) / total);
      if (percent === lastPercent && !done) return;
      lastPercent = percent;
      const bar = "#".repeat(Math.floor(percent / 4)).padEnd(25, ".");
      process.stderr.write(`\rconvlens: ${label} [${bar}] ${percent}% of ${mb(total)} MB${done ? "\n" : ""}`);
    } else {
      process.stderr.write(`\rconvlens: ${label} ${mb(loaded)} MB${done ? "\n" : ""}`);
    }
  };
}

export interface ExpectedHash {
  algorithm: "md5" | "sha256";
  /** hex digest */
  digest: string;
}

/**
 * Digests of the Keras applications files convlens knows, as Keras publishes them (`file_hash`
 * of get_file in keras/src/applications/vgg16.py and vgg19.py, Keras 3.15; tf_keras 2.21's
 * tf_keras/src/applications has the same values). A file cached under one of these names is
 * checked wherever it came from, because vgg16()/vgg19() later pick it up by that name.
 */
export const KNOWN_HASHES: Readonly<Record<string, string>> = {
  "vgg16_weights_tf_dim_ordering_tf_kernels.h5": "64373286793e3c8b2b4e3219cbf3544b",
  "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5": "6d6bbae143d832006294945121d1f1fc",
  "vgg19_weights_tf_dim_ordering_tf_kernels.h5": "cbe5617147190e668d6c5d5026f83318",
  "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5": "253f8cb515780f3b799900260a226db6",
};

/** Keras get_file's hash_algorithm "auto": sha256 for 64 hex digits, md5 otherwise. */
export function kerasHash(digest: string): ExpectedHash {
  return { algorithm: digest.length === 64 ? "sha256" : "md5", digest: digest.toLowerCase() };
}

/** The hex digest of a file, read as a stream (the VGG16 file with top is 553 MB). */
export async function hashFile(path: string, algorithm: ExpectedHash["algorithm"]): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const DEFAULT_TIMEOUT_MS = 30_000;

function timeoutMs(name: string, value: number | undefined): number {
  const env = process.env.CONVLENS_DOWNLOAD_TIMEOUT_MS;
  if (value === undefined && (env === undefined || env === "")) return DEFAULT_TIMEOUT_MS;
  const ms = value ?? Number(env);
  // setTimeout fires at once for delays beyond 2^31 - 1 ms
  if (!(typeof ms === "number" && ms > 0 && ms <= 2 ** 31 - 1)) {
    const what = value === undefined
      ? `CONVLENS_DOWNLOAD_TIMEOUT_MS=${JSON.stringify(env)}`
      : `${name} ${describeValue(value)}`;
    throw new ConvlensError(`${what} is not a timeout: give a number of milliseconds above 0 and below 2^31 (e.g. 30000)`);
  }
  return ms;
}

function checkExpectedHash(value: unknown): ExpectedHash {
  const { algorithm, digest } = (value ?? {}) as Partial<ExpectedHash>;
  const length = algorithm === "md5" ? 32 : algorithm === "sha256" ? 64 : 0;
  if (!length || typeof digest !== "string" || !new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digest)) {
    throw new ConvlensError(
      `expectedHash is { algorithm: "md5", digest: <32 hex digits> } or { algorithm: "sha256", digest: <64 hex digits> }, ` +
        `not ${value !== null && typeof value === "object" ? JSON.stringify(value) : describeValue(value)}`,
    );
  }
  return { algorithm: algorithm as ExpectedHash["algorithm"], digest: digest.toLowerCase() };
}

/** A name that stays inside the cache folder: no separators, no "." / ".." parts, no NUL. */
function checkFileName(name: unknown, fromUrl: string | undefined): void {
  if (typeof name !== "string") {
    throw new ConvlensError(`fileName is a string like "weights.h5", not ${describeValue(name)}`);
  }
  const plain = name !== "." && !name.includes("..") && !/[/\\\0]/.test(name);
  if (plain) return;
  const what = fromUrl === undefined
    ? `fileName ${JSON.stringify(name)}`
    : `the file name ${JSON.stringify(name)} in ${fromUrl}`;
  throw new ConvlensError(
    `${what} is not a plain file name (it must not contain "/", "\\", ".." or NUL), so it could be stored outside ` +
      `the cache folder; nothing was downloaded. Pass fileName with a plain name such as "weights.h5"`,
  );
}

export interface CachedDownloadOptions {
  /** file name in the cache; default: the URL's last path segment */
  fileName?: string;
  /** where a download is stored; default: the first of cacheDirs() */
  cacheDir?: string;
  /** extra folders searched for an already cached copy */
  searchDirs?: string[];
  onProgress?: ProgressHandler;
  /** throws if the downloaded temporary file is not usable (then it is not cached) */
  validate?: (path: string) => Promise<void>;
  /**
   * digest the file must have, checked after a download and on a cache hit;
   * default: Keras's published digest for a name in KNOWN_HASHES, else no check
   */
  expectedHash?: ExpectedHash;
  /** ms to wait for the response headers; default CONVLENS_DOWNLOAD_TIMEOUT_MS or 30 s */
  responseTimeoutMs?: number;
  /** ms to wait for the next body bytes; default CONVLENS_DOWNLOAD_TIMEOUT_MS or 30 s */
  idleTimeoutMs?: number;
}

/** The local path of `url`'s file: a cached copy, or a fresh, complete download. */
export async function cachedDownload(url: string, options: CachedDownloadOptions = {}): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConvlensError(`${JSON.stringify(url)} is not a valid URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConvlensError(`cannot download ${url}: only http:// and https:// URLs are downloaded (give a local path instead)`);
  }
  let fileName = options.fileName;
  if (fileName === undefined) {
    const segment = basename(parsed.pathname);
    try {
      fileName = decodeURIComponent(segment);
    } catch {
      throw new ConvlensError(
        `cannot tell a file name from ${url}: ${JSON.stringify(segment)} has a malformed %-encoding; ` +
          "fix the URL or pass fileName",
      );
    }
  }
  if (!fileName) throw new ConvlensError(`cannot tell a file name from ${url}; pass fileName`);
  checkFileName(fileName, options.fileName === undefined ? url : undefined);
  const known = Object.hasOwn(KNOWN_HASHES, fileName) ? KNOWN_HASHES[fileName] : undefined;
  const expected = options.expectedHash !== undefined
    ? checkExpectedHash(options.expectedHash)
    : known === undefined ? undefined : kerasHash(known);
  const whose = options.expectedHash ? "the expected" : "Keras's published";
  const timeouts = {
    response: timeoutMs("responseTimeoutMs", options.responseTimeoutMs),
    idle: timeoutMs("idleTimeoutMs", options.idleTimeoutMs),
  };
  const cacheDir = options.cacheDir ?? cacheDirs()[0];
  const onProgress = options.onProgress ?? (() => {});
  for (const dir of [cacheDir, ...(options.searchDirs ?? cacheDirs())]) {
    const candidate = join(dir, fileName);
    if (existsSync(candidate) && statSync(candidate).isFile()) {
      if (expected) {
        const actual = await hashFile(candidate, expected.algorithm);
        // Never deleted: convlens cannot tell who wrote it (Keras, the user, a convlens before hashes
        // were checked) nor whether it is wanted, so that is the user's call.
        if (actual !== expected.digest) {
          throw new ConvlensError(
            `the cached ${candidate} is damaged or another file: its ${expected.algorithm} is ${actual}, ` +
              `${whose} ${expected.algorithm} of ${fileName} is ${expected.digest}. Delete it (rm "${candidate}") ` +
              `and run again to download a fresh copy`,
          );
        }
      }
      const size = statSync(candidate).size;
      onProgress({ url, loaded: size, total: size, fromCache: true, done: true });
      return candidate;
    }
  }

  mkdirSync(cacheDir, { recursive: true });
  const target = join(cacheDir, fileName);
  const temp = `${target}.part-${process.pid}-${Date.now()}`;
  try {
    await downloadTo(url, temp, onProgress, timeouts);
    if (expected) {
      const actual = await hashFile(temp, expected.algorithm);
      if (actual !== expected.digest) {
        throw new ConvlensError(
          `the file downloaded from ${url} is not ${fileName}: its ${expected.algorithm} is ${actual}, ` +
            `${whose} one is ${expected.digest}; nothing was cached. The download was damaged or the URL ` +
            `serves another file: try again, or check the URL`,
        );
      }
    }
    try {
      await options.validate?.(temp);
    } catch (error) {
      // name the download, not the temporary file the user never sees
      const why = (error instanceof Error ? error.message : String(error)).replace(/^convlens: /, "").split(temp).join(fileName);
      throw new ConvlensError(`the file downloaded from ${url} is not usable: ${why}; nothing was cached, check the URL`);
    }
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
  return target;
}

async function downloadTo(
  url: string,
  path: string,
  onProgress: ProgressHandler,
  timeouts: { response: number; idle: number },
): Promise<void> {
  // One abort for both timeouts; `fired` tells which one it was (fetch only says "aborted").
  const controller = new AbortController();
  let fired: "response" | "idle" | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (which: "response" | "idle") => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = which;
      controller.abort();
    }, timeouts[which]);
  };
  const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;
  const raise = "raise the timeout with the responseTimeoutMs / idleTimeoutMs options or CONVLENS_DOWNLOAD_TIMEOUT_MS (ms)";
  let response: Response;
  arm("response");
  try {
    response = await fetch(url, { signal: controller.signal });
  } catch (error) {
    if (fired) {
      throw new ConvlensError(
        `download of ${url} timed out: no response within ${seconds(timeouts.response)} (response timeout); ` +
          `nothing was cached. Check the address and the network, or ${raise}`,
      );
    }
    throw new ConvlensError(`cannot download ${url}: ${causeText(error)}; check the address and the network`);
  } finally {
    clearTimeout(timer);
  }
  let total: number | undefined;
  let loaded = 0;
  try {
    if (!response.ok || !response.body) {
      throw new ConvlensError(`cannot download ${url}: the server answered ${response.status} ${response.statusText}`);
    }
    // Content-Length counts the bytes on the wire: for a compressed response (fetch hands back the
    // decoded bytes) it says nothing about the file's size. fetch itself fails a body cut short.
    const encoding = (response.headers.get("content-encoding") ?? "").trim().toLowerCase();
    const header = encoding === "" || encoding === "identity" ? response.headers.get("content-length") : null;
    total = header ? Number(header) : undefined;
    const out = createWriteStream(path);
    // a write that fails (a full disk, a folder gone) ends the download instead of waiting for a drain that never comes
    const writeFailed = new Promise<never>((_, reject) =>
      out.once("error", (error) => reject(new ConvlensError(`cannot write the download of ${url} to ${path}: ${error.message}; nothing was cached (free some disk space or give another cacheDir)`))),
    );
    writeFailed.catch(() => undefined); // observed below, where it matters
    try {
      const reader = response.body.getReader();
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        arm("idle");
        try {
          chunk = await reader.read();
        } catch (error) {
          const after = `after ${loaded}${total ? ` of ${total}` : ""} bytes`;
          if (fired) {
            throw new ConvlensError(
              `download of ${url} stalled: no data for ${seconds(timeouts.idle)} ${after} (idle timeout); ` +
                `nothing was cached. Try again, or ${raise}`,
            );
          }
          throw new ConvlensError(
            `download of ${url} was cut off ${after} (${causeText(error)}); nothing was cached, try again`,
          );
        } finally {
          clearTimeout(timer);
        }
        if (chunk.done) break;
        loaded += chunk.value.byteLength;
        if (!out.write(chunk.value)) await Promise.race([new Promise<void>((resolve) => out.once("drain", () => resolve())), writeFailed]);
        onProgress({ url, loaded, total, fromCache: false, done: false });
      }
    } finally {
      await Promise.race([new Promise<void>((resolve) => out.end(() => resolve())), writeFailed]);
    }
  } catch (error) {
    // drop the connection of a response given up on (a no-op once the body was read)
    controller.abort();
    throw error;
  }
  if (total !== undefined && loaded !== total) {
    throw new ConvlensError(`download of ${url} was cut off after ${loaded} of ${total} bytes; nothing was cached, try again`);
  }
  onProgress({ url, loaded, total, fromCache: false, done: true });
}

function causeText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

// Downloads into a cache with progress. A file is only ever cached whole: bytes go to a
// temporary file beside the target, which is checked and then renamed into place.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { ConvlensError } from "../errors";

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

/** Keras's own cache first (so a file Keras already downloaded is reused), then convlens's. */
export function cacheDirs(): string[] {
  const dirs = [join(process.env.KERAS_HOME ?? join(homedir(), ".keras"), "models")];
  if (process.env.CONVLENS_CACHE_DIR) dirs.push(process.env.CONVLENS_CACHE_DIR);
  return dirs;
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
  const fileName = options.fileName ?? decodeURIComponent(basename(parsed.pathname));
  if (!fileName) throw new ConvlensError(`cannot tell a file name from ${url}; pass fileName`);
  const cacheDir = options.cacheDir ?? cacheDirs()[0];
  const onProgress = options.onProgress ?? (() => {});
  for (const dir of [cacheDir, ...(options.searchDirs ?? cacheDirs())]) {
    const candidate = join(dir, fileName);
    if (existsSync(candidate) && statSync(candidate).isFile()) {
      const size = statSync(candidate).size;
      onProgress({ url, loaded: size, total: size, fromCache: true, done: true });
      return candidate;
    }
  }

  mkdirSync(cacheDir, { recursive: true });
  const target = join(cacheDir, fileName);
  const temp = `${target}.part-${process.pid}-${Date.now()}`;
  try {
    await downloadTo(url, temp, onProgress);
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

async function downloadTo(url: string, path: string, onProgress: ProgressHandler): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ConvlensError(`cannot download ${url}: ${causeText(error)}; check the address and the network`);
  }
  if (!response.ok || !response.body) {
    throw new ConvlensError(`cannot download ${url}: the server answered ${response.status} ${response.statusText}`);
  }
  // Content-Length counts the bytes on the wire: for a compressed response (fetch hands back the
  // decoded bytes) it says nothing about the file's size. fetch itself fails a body cut short.
  const encoding = (response.headers.get("content-encoding") ?? "").trim().toLowerCase();
  const header = encoding === "" || encoding === "identity" ? response.headers.get("content-length") : null;
  const total = header ? Number(header) : undefined;
  const out = createWriteStream(path);
  let loaded = 0;
  try {
    const reader = response.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new ConvlensError(`download of ${url} was cut off after ${loaded}${total ? ` of ${total}` : ""} bytes (${causeText(error)}); nothing was cached, try again`);
      }
      if (chunk.done) break;
      loaded += chunk.value.byteLength;
      if (!out.write(chunk.value)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      onProgress({ url, loaded, total, fromCache: false, done: false });
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
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

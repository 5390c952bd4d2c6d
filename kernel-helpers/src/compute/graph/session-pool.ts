// TF sessions of feature-map graphs, shared by the models whose graphs are the same. A graph holds
// no weights (they are fed at every run), so models of one architecture can run in one session: a
// new model of a known architecture (each run of a `const model = await shapesCnn()` cell, each
// student's first cell after the kernel's warm-up) skips writing and loading its graph, and TF's
// optimisation of it on a session's first run (~60 ms of CPU for the shapes CNN on 2 cores).
import { createHash } from "node:crypto";
import type { SavedModelSessions } from "../tfjs-node-internals";
import { closeSession } from "./tf-protos";

/** Sessions nobody uses kept open for the next model of their architecture, the latest first. */
export const IDLE_SESSIONS_KEPT = 2;

/** One session of the pool, held by the graphs that run in it. */
export interface PooledSession {
  readonly id: number;
  readonly key: string;
  users: number;
  /** closed once its last user lets go, and never handed out again */
  discarded: boolean;
}

class SessionPool {
  /** by key; Map order is use order, so idle sessions are closed oldest first */
  private readonly entries = new Map<string, PooledSession>();

  constructor(private readonly sessions: SavedModelSessions) {}

  /** The session of the graph serialised as `bytes`, loaded with `load` if none is open. */
  acquire(bytes: Uint8Array, load: () => number): PooledSession {
    const key = createHash("sha256").update(bytes).digest("hex");
    let entry = this.entries.get(key);
    if (entry) this.entries.delete(key);
    else entry = { id: load(), key, users: 0, discarded: false };
    entry.users++;
    this.entries.set(key, entry);
    return entry;
  }

  /** One user lets go: an idle session stays open for the next model, up to IDLE_SESSIONS_KEPT. */
  release(entry: PooledSession): void {
    entry.users = Math.max(0, entry.users - 1);
    if (entry.users > 0) return;
    if (entry.discarded || this.entries.get(entry.key) !== entry) {
      closeSession(this.sessions, entry.id);
      return;
    }
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
    this.closeIdle(IDLE_SESSIONS_KEPT);
  }

  /** A session no model gets again (TF failed to run it, or its graph is done with): closed when its last user lets go. */
  discard(entry: PooledSession): void {
    entry.discarded = true;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  /** Closes the sessions nobody uses but the latest `keep`, oldest first; how many. */
  closeIdle(keep = 0): number {
    const idle = [...this.entries.values()].filter((e) => e.users === 0);
    const closing = idle.slice(0, Math.max(0, idle.length - keep));
    for (const entry of closing) {
      this.entries.delete(entry.key);
      closeSession(this.sessions, entry.id);
    }
    return closing.length;
  }
}

const pools = new WeakMap<SavedModelSessions, SessionPool>();

/** The pool of `sessions` (one per backend, as savedModelSessions gives one object per backend). */
export function sessionPool(sessions: SavedModelSessions): SessionPool {
  let pool = pools.get(sessions);
  if (!pool) {
    pool = new SessionPool(sessions);
    pools.set(sessions, pool);
  }
  return pool;
}

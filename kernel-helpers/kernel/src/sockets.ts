// The ZeroMQ edge of the kernel: binds the five sockets of a connection file,
// decodes/verifies incoming frames (wire.ts) and hands messages to a handler;
// sends replies and iopub messages. No protocol logic lives here.
import { randomUUID } from "crypto";
import * as fs from "fs";
import { Publisher, Reply, Router } from "zeromq";
import type { JSONObject, KernelMessage, OutgoingMessage } from "convlens/dist/runtime/messages";
import { decode, encode, newHeader, WireError, type SigningKey, type WireMessage } from "./wire";

export interface ConnectionInfo {
  transport: string;
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

export function readConnectionFile(path: string): ConnectionInfo {
  const info = JSON.parse(fs.readFileSync(path, "utf8")) as ConnectionInfo;
  for (const port of ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const) {
    if (typeof info[port] !== "number") throw new Error(`convlens: connection file ${path} has no ${port}`);
  }
  if (info.transport !== "tcp" && info.transport !== "ipc") {
    throw new Error(
      `convlens: connection file ${path} asks for transport ${JSON.stringify(info.transport)}; the kernel speaks "tcp" and "ipc"`,
    );
  }
  return info;
}

/**
 * Where one of the kernel's sockets binds: tcp://ip:port, or for the ipc transport the socket file
 * `${ip}-${port}` (jupyter_client's convention: `ip` is then a path prefix, the port a number).
 */
export function socketAddress(connection: Pick<ConnectionInfo, "transport" | "ip">, port: number): string {
  return connection.transport === "ipc" ? `ipc://${connection.ip}-${port}` : `tcp://${connection.ip}:${port}`;
}

export type RequestHandler = (
  msg: KernelMessage,
  channel: "shell" | "control",
) => Promise<{ msgType: string; content: JSONObject } | null>;

/** zeromq.js allows one pending send per socket; this keeps sends in order, one at a time. */
class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(
    private readonly socket: { send(frames: Buffer[]): Promise<void> },
    private readonly log: (text: string) => void,
  ) {}
  send(frames: Buffer[]): void {
    this.tail = this.tail
      .then(() => this.socket.send(frames))
      .catch((e: unknown) => this.log(`send failed: ${String(e)}`));
  }
  flushed(): Promise<void> {
    return this.tail;
  }
}

export class KernelSockets {
  /** the kernel's own session id, in the header of every message it sends */
  readonly session = randomUUID();
  private readonly signing: SigningKey;
  private readonly iopub = new Publisher();
  private readonly shell = new Router();
  private readonly control = new Router();
  private readonly stdin = new Router();
  private readonly heartbeat = new Reply();
  private readonly iopubQueue: SendQueue;
  private readonly shellQueue: SendQueue;
  private readonly controlQueue: SendQueue;

  private constructor(
    private readonly connection: ConnectionInfo,
    private readonly log: (text: string) => void,
  ) {
    this.signing = { key: connection.key, scheme: connection.signature_scheme || "hmac-sha256" };
    this.iopubQueue = new SendQueue(this.iopub, log);
    this.shellQueue = new SendQueue(this.shell, log);
    this.controlQueue = new SendQueue(this.control, log);
  }

  static async bind(connection: ConnectionInfo, log: (text: string) => void): Promise<KernelSockets> {
    const sockets = new KernelSockets(connection, log);
    const address = (port: number) => socketAddress(connection, port);
    await Promise.all([
      sockets.iopub.bind(address(connection.iopub_port)),
      sockets.shell.bind(address(connection.shell_port)),
      sockets.control.bind(address(connection.control_port)),
      sockets.stdin.bind(address(connection.stdin_port)),
      sockets.heartbeat.bind(address(connection.hb_port)),
    ]);
    return sockets;
  }

  /** The runtime's outlet: every kernel -> front-end message is sent here. */
  /** Resolves once every iopub message published so far has been handed to ZeroMQ (which sends it from its own thread). */
  iopubFlushed(): Promise<void> {
    return this.iopubQueue.flushed();
  }

  publish(msg: OutgoingMessage): void {
    const frames = encode(
      {
        header: newHeader(msg.msgType, this.session),
        parentHeader: msg.parentHeader,
        metadata: msg.metadata,
        content: msg.content,
        buffers: msg.buffers,
      },
      this.signing,
    );
    this.iopubQueue.send(frames);
  }

  /** Starts reading shell, control and heartbeat; resolves when the sockets close. */
  serve(handler: RequestHandler): Promise<void> {
    return Promise.all([
      this.readLoop(this.shell, this.shellQueue, "shell", handler),
      this.readLoop(this.control, this.controlQueue, "control", handler),
      this.echoHeartbeats(),
    ]).then(() => undefined);
  }

  private async readLoop(
    socket: Router,
    queue: SendQueue,
    channel: "shell" | "control",
    handler: RequestHandler,
  ): Promise<void> {
    for await (const frames of socket) {
      let msg: WireMessage;
      try {
        msg = decode(frames, this.signing);
      } catch (e) {
        // A forged or garbled message is dropped, never answered; the kernel keeps serving.
        this.log(`dropped a ${channel} message: ${e instanceof WireError ? e.message : String(e)}`);
        continue;
      }
      // Not awaited: a cell that awaits (e.g. a widget change) must not block the
      // comm messages that would resolve it. Cells are still run one at a time.
      void handler(msg, channel).then(
        (reply) => {
          if (!reply) return;
          queue.send(
            encode(
              {
                identities: msg.identities,
                header: newHeader(reply.msgType, this.session),
                parentHeader: msg.header,
                metadata: {},
                content: reply.content,
              },
              this.signing,
            ),
          );
        },
        (e: unknown) => this.log(`handler failed for ${msg.header.msg_type}: ${String(e)}`),
      );
    }
  }

  private async echoHeartbeats(): Promise<void> {
    for await (const frames of this.heartbeat) await this.heartbeat.send(frames);
  }

  /** Waits for queued sends, then closes every socket. */
  async close(): Promise<void> {
    await Promise.all([this.iopubQueue.flushed(), this.shellQueue.flushed(), this.controlQueue.flushed()]);
    for (const socket of [this.iopub, this.shell, this.control, this.stdin, this.heartbeat]) socket.close();
  }
}

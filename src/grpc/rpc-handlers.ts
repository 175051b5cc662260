/**
 * Adapters from async functions to grpc-js handlers. They answer exactly once on every path,
 * map errors through `toStatus`, and record each call's count and latency.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logging/logger.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { statusName, toStatus } from './status-mapping.js';

/** What an RPC body gets besides its request. */
export interface RpcContext {
  /** Epoch milliseconds after which the caller gives up, or Infinity. */
  deadlineMs: number;
  /** Aborted when the caller cancels or disconnects. */
  signal: AbortSignal;
  metadata: grpc.Metadata;
  peer: string;
}

function contextOf(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
): RpcContext {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort());
  return {
    deadlineMs: Number.isFinite(deadlineMs) && deadlineMs > 0 ? deadlineMs : Infinity,
    signal: controller.signal,
    metadata: call.metadata,
    peer: call.getPeer(),
  };
}

/** Shared by the handler factories of one service. */
export interface HandlerKit {
  log: Logger;
  metrics: ServiceMetrics;
}

/** Wraps an async body as a unary handler named `method` in metrics. */
export function unary<Request, Response>(
  kit: HandlerKit,
  method: string,
  body: (request: Request, context: RpcContext) => Promise<Response>,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    const stopTimer = kit.metrics.rpcDuration.startTimer({ method });
    body(call.request, contextOf(call)).then(
      (response) => {
        kit.metrics.rpcRequests.inc({ method, code: 'OK' });
        stopTimer();
        callback(null, response);
      },
      (caught: unknown) => {
        const status = toStatus(caught, kit.log, method);
        kit.metrics.rpcRequests.inc({ method, code: statusName(status.code) });
        stopTimer();
        callback(status);
      },
    );
  };
}

/**
 * Wraps an async body as a server-streaming handler: the body writes messages with `send` and
 * resolves when the stream should end.
 */
export function serverStream<Request, Response>(
  kit: HandlerKit,
  method: string,
  body: (request: Request, send: (message: Response) => void, context: RpcContext) => Promise<void>,
): grpc.handleServerStreamingCall<Request, Response> {
  return (call) => {
    const stopTimer = kit.metrics.rpcDuration.startTimer({ method });
    const send = (message: Response): void => {
      if (!call.cancelled && call.writable) call.write(message);
    };
    body(call.request, send, contextOf(call)).then(
      () => {
        kit.metrics.rpcRequests.inc({ method, code: 'OK' });
        stopTimer();
        call.end();
      },
      (caught: unknown) => {
        const status = toStatus(caught, kit.log, method);
        kit.metrics.rpcRequests.inc({ method, code: statusName(status.code) });
        stopTimer();
        call.emit('error', status);
      },
    );
  };
}

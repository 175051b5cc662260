/**
 * Applies an access policy to every method of a service in one place, before any handler runs, so
 * the handlers themselves never deal with authentication.
 */
import type * as grpc from '@grpc/grpc-js';
import type { HandlerKit } from '../grpc/rpc-handlers.js';
import { statusName, toStatus } from '../grpc/status-mapping.js';
import { checkAccess, type AccessPolicy } from './access-policy.js';

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * Returns `handlers` with each method wrapped so that a caller refused by `policy` gets the
 * mapped status (UNAUTHENTICATED or PERMISSION_DENIED) and the handler never runs. `definition`
 * tells unary methods from server-streaming ones; other kinds are not used by labelwise and are
 * refused to be wrapped.
 */
export function guardService(
  definition: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
  policy: AccessPolicy,
  kit: HandlerKit,
): grpc.UntypedServiceImplementation {
  if (policy.kind === 'open') return handlers;
  const guarded: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const streaming = definition[method];
    if (streaming === undefined || streaming.requestStream) {
      throw new Error(`cannot guard method ${method}: unknown or client-streaming`);
    }
    const refusal = (call: AnyCall): grpc.StatusObject | undefined => {
      try {
        checkAccess(policy, { metadata: call.metadata, peer: call.getPeer() });
        return undefined;
      } catch (caught) {
        const status = toStatus(caught, kit.log, method);
        kit.metrics.rpcRequests.inc({ method, code: statusName(status.code) });
        kit.log.warn('call refused', { method, peer: call.getPeer(), reason: status.details });
        return status;
      }
    };
    if (streaming.responseStream) {
      const inner = handler as grpc.handleServerStreamingCall<unknown, unknown>;
      guarded[method] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        const status = refusal(call);
        if (status === undefined) {
          inner(call);
          return;
        }
        call.emit('error', status);
      }) as grpc.UntypedHandleCall;
    } else {
      const inner = handler as grpc.handleUnaryCall<unknown, unknown>;
      guarded[method] = ((
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const status = refusal(call);
        if (status === undefined) {
          inner(call, callback);
          return;
        }
        callback(status);
      }) as grpc.UntypedHandleCall;
    }
  }
  return guarded;
}

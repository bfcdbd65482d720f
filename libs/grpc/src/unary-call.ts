import { Metadata, status, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';

export const REQUEST_ID_METADATA = 'x-request-id';
/** The verified caller's `sub`, set by the gateway for backends that act on a user's behalf. */
export const IDENTITY_METADATA = 'x-portico-sub';

export interface CallContext {
  /** Whole-call budget; sent to the server as the gRPC deadline so it can stop work too. */
  deadlineMs: number;
  /** Aborting (the client went away, a sibling source failed) cancels the call on the wire. */
  signal?: AbortSignal;
  requestId?: string;
  /** Extra metadata for the call, such as the caller's identity. */
  metadata?: Readonly<Record<string, string>>;
  /** Metadata labels a pool prefers instances by for this call (a canary's `version`); ignored by a single channel. */
  prefer?: Readonly<Record<string, string>>;
}

/** The callback form of a generated grpc-js client method. */
export type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Response) => void,
) => ClientUnaryCall;

/**
 * Promise form of a unary call that carries the deadline, the request id and cancellation.
 * `method` is a client method bound once to its client; `onStatus` learns the final gRPC status code.
 */
export function unaryCall<Request, Response>(
  method: UnaryMethod<Request, Response>,
  request: Request,
  context: CallContext,
  onStatus?: (code: status) => void,
): Promise<Response> {
  const { signal } = context;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const metadata = new Metadata();
  if (context.requestId) metadata.set(REQUEST_ID_METADATA, context.requestId);
  for (const [key, value] of Object.entries(context.metadata ?? {})) metadata.set(key, value);
  return new Promise<Response>((resolve, reject) => {
    const call = method(request, metadata, { deadline: Date.now() + context.deadlineMs }, (error, response) => {
      signal?.removeEventListener('abort', cancel);
      onStatus?.(error ? error.code : status.OK);
      if (error) reject(error);
      else resolve(response);
    });
    function cancel(): void {
      call.cancel();
    }
    signal?.addEventListener('abort', cancel, { once: true });
  });
}

import { status as GrpcStatus } from '@grpc/grpc-js';

export interface HttpMapping {
  status: number;
  slug: string;
  title: string;
}

const BAD_GATEWAY: HttpMapping = { status: 502, slug: 'upstream-error', title: 'Upstream error' };

/** The one table from gRPC status to HTTP; anything not listed is the upstream's fault: 502. */
const GRPC_TO_HTTP: ReadonlyMap<GrpcStatus, HttpMapping> = new Map([
  [GrpcStatus.NOT_FOUND, { status: 404, slug: 'not-found', title: 'Not found' }],
  [GrpcStatus.INVALID_ARGUMENT, { status: 400, slug: 'invalid-argument', title: 'Invalid argument' }],
  [GrpcStatus.FAILED_PRECONDITION, { status: 409, slug: 'conflict', title: 'Conflict' }],
  [GrpcStatus.PERMISSION_DENIED, { status: 403, slug: 'forbidden', title: 'Forbidden' }],
  [GrpcStatus.UNAUTHENTICATED, { status: 401, slug: 'unauthorized', title: 'Unauthorized' }],
  [GrpcStatus.UNAVAILABLE, { status: 503, slug: 'upstream-unavailable', title: 'Upstream unavailable' }],
  [GrpcStatus.DEADLINE_EXCEEDED, { status: 504, slug: 'upstream-timeout', title: 'Upstream timeout' }],
]);

export function httpMappingForGrpc(code: number): HttpMapping {
  return GRPC_TO_HTTP.get(code) ?? BAD_GATEWAY;
}

/** A grpc-js ServiceError, recognised by shape so this works across grpc-js copies. */
export interface GrpcError extends Error {
  code: number;
  details: string;
}

export function isGrpcError(error: unknown): error is GrpcError {
  return (
    error instanceof Error &&
    typeof (error as Partial<GrpcError>).code === 'number' &&
    typeof (error as Partial<GrpcError>).details === 'string'
  );
}

export function grpcStatusName(code: number): string {
  return (GrpcStatus[code] ?? 'UNKNOWN').toLowerCase();
}

export interface UpstreamFailure extends HttpMapping {
  detail: string;
}

/**
 * What a failed upstream call amounts to for our client; gRPC errors go through the table, anything else
 * is a 502. Only statuses a service chose (NOT_FOUND, FAILED_PRECONDITION, ...) pass its message on:
 * transport failures describe the network (internal addresses, connection errors), so the client gets
 * the title and the log keeps the rest.
 */
export function classifyUpstreamError(error: unknown): UpstreamFailure {
  if (!isGrpcError(error)) return { ...BAD_GATEWAY, detail: BAD_GATEWAY.title.toLowerCase() };
  const mapping = httpMappingForGrpc(error.code);
  const chosenByService = mapping.status < 500;
  return { ...mapping, detail: chosenByService ? error.details : mapping.title.toLowerCase() };
}

import { status } from '@grpc/grpc-js';

/** What a finished call says about the instance that ran it, for its circuit breaker and error rate. */
export type InstanceVerdict = 'healthy' | 'failing' | 'no-verdict';

// UNAVAILABLE means the instance could not take the call (refused, reset, draining, gone): the
// same signal Envoy's outlier detection counts. INTERNAL, UNKNOWN and DATA_LOSS are server faults.
// A deadline or a cancellation says more about the caller's budget than the instance, and any
// status the service chose (NOT_FOUND, FAILED_PRECONDITION...) means the instance is working.
const FAILING: ReadonlySet<status> = new Set([status.UNAVAILABLE, status.INTERNAL, status.UNKNOWN, status.DATA_LOSS]);
const NO_VERDICT: ReadonlySet<status> = new Set([status.DEADLINE_EXCEEDED, status.CANCELLED]);

export function verdictFor(code: status): InstanceVerdict {
  if (FAILING.has(code)) return 'failing';
  return NO_VERDICT.has(code) ? 'no-verdict' : 'healthy';
}

/** Only UNAVAILABLE is worth another instance: the call most likely never ran, and another instance may be up. */
export function worthRetrying(code: status): boolean {
  return code === status.UNAVAILABLE;
}

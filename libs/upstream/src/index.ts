export { backoffDelayMs } from './backoff.js';
export { BALANCER_KINDS, type BalancerKind } from './balancers/balancer-kind.js';
export type { CircuitBreakerOptions, CircuitStateName } from './circuit-breaker.js';
export type { ActiveHealthCheckOptions, HealthCheckOptions, HealthProbe } from './health-check.js';
export type { Lease } from './lease.js';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export { hasLabels, Target, type TargetHealth, type TargetInit } from './target.js';
export {
  UpstreamPool,
  type PickOptions,
  type TargetTransition,
  type TransitionListener,
  type UpstreamPoolOptions,
} from './upstream-pool.js';

export { HealthModule, type HealthModuleOptions } from './health.module.js';
export { READINESS_CHECKS, ReadinessGate, type ReadinessCheck } from './readiness.js';

export { clientLimitOptions, type ClientLimits } from './client-limits.js';
export { isCompressibleType, type CompressionPolicy } from './compression-policy.js';
export {
  ANY_ORIGIN,
  corsPolicyProblem,
  DEFAULT_EXPOSED_HEADERS,
  originMatcher,
  parseOriginList,
  socketIoAllowRequest,
  socketIoCors,
  type CorsPolicy,
  type SocketIoCors,
} from './cors-policy.js';
export { registerEdgeHardening, type EdgeHardening, type EdgeHardeningOptions } from './edge-hardening.js';
export { documentationCsp, HSTS_MODES, type HstsMode, type SecurityHeadersPolicy } from './security-headers.js';

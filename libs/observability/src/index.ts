export { labelRoute, recordRequest, registerHttpObservability, UNMATCHED_ROUTE, type CompletedRequest } from './http-observability.hook.js';
export { pinoParams, REDACTED_PATHS, type LoggingOptions } from './logging.js';
export { Metrics } from './metrics.js';
export { ObservabilityModule } from './observability.module.js';
export { generateRequestId, REQUEST_ID_HEADER, requestIdFor } from './request-id.js';

export { ConfigError, loadConfig, runWithConfig } from './load-config.js';
export { booleanFlag, grpcAddress, logLevel, milliseconds, port, redisUrl } from './fields.js';

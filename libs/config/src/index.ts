export { ConfigError, loadConfig, runWithConfig } from './load-config.js';
export { booleanFlag, grpcAddress, grpcAddressList, logLevel, milliseconds, port, redisUrl } from './fields.js';

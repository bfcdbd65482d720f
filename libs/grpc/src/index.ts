export { GrpcRequestLogger } from './grpc-request-logger.interceptor.js';
export { grpcServerOptions, ServingStatus, type GrpcServerOptions, type GrpcServiceDefinition } from './grpc-server.js';
export { runGrpcService, type GrpcServiceRun } from './grpc-service-runner.js';
export { GrpcPoolMetrics } from './grpc-pool-metrics.js';
export {
  GrpcServicePool,
  type GrpcServicePoolOptions,
  type InstanceSnapshot,
  type PoolCallOptions,
} from './grpc-service-pool.js';
export type { ClientConstructor, MethodSelector } from './instance-channel.js';
export { IDENTITY_METADATA, REQUEST_ID_METADATA, unaryCall, type CallContext, type UnaryMethod } from './unary-call.js';

export { createGrpcClient, type GrpcClientOptions } from './grpc-client.js';
export { GrpcRequestLogger } from './grpc-request-logger.interceptor.js';
export { runGrpcService, type GrpcServiceRun } from './grpc-service-runner.js';
export { grpcServerOptions, ServingStatus, type GrpcServerOptions, type GrpcServiceDefinition } from './grpc-server.js';
export { REQUEST_ID_METADATA, unaryCall, type CallContext, type UnaryMethod } from './unary-call.js';
export { upstreamMetricsInterceptor } from './upstream-metrics.interceptor.js';

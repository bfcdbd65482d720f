export { GrpcRequestLogger } from './grpc-request-logger.interceptor.js';
export { grpcServerOptions, ServingStatus, type GrpcServerOptions, type GrpcServiceDefinition } from './grpc-server.js';
export { runGrpcService, type GrpcServiceRun } from './grpc-service-runner.js';
export { GrpcUpstream, type GrpcUpstreamOptions } from './grpc-upstream.js';
export { REQUEST_ID_METADATA, unaryCall, type CallContext, type UnaryMethod } from './unary-call.js';

export {
  classifyUpstreamError,
  grpcStatusName,
  httpMappingForGrpc,
  isGrpcError,
  type GrpcError,
  type HttpMapping,
  type UpstreamFailure,
} from './grpc-status.js';
export { PROBLEM_CONTENT_TYPE, problemType, type FieldError, type ProblemDetails } from './problem.js';
export { ProblemException, type ProblemInit } from './problem.exception.js';
export { ProblemFilter, sendProblem, writeProblem } from './problem.filter.js';
export { toProblemResponse, type ProblemContext, type ProblemResponse } from './problem-mapping.js';
export { ProblemValidationPipe } from './validation.js';
export { ApiProblemResponses, PROBLEM_DETAILS_SCHEMA, PROBLEM_SCHEMA_NAME } from './openapi.js';

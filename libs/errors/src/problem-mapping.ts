import { HttpException } from '@nestjs/common';
import { classifyUpstreamError, isGrpcError } from './grpc-status.js';
import { problemType, type ProblemDetails } from './problem.js';
import { ProblemException } from './problem.exception.js';

export interface ProblemResponse {
  problem: ProblemDetails;
  headers: Readonly<Record<string, string>>;
}

export interface ProblemContext {
  requestId: string;
  /** The request path; RFC 9457's `instance` identifies this occurrence of the problem. */
  instance: string;
}

const TITLE_BY_STATUS: Readonly<Record<number, readonly [slug: string, title: string]>> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  408: ['request-timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['too-many-requests', 'Too many requests'],
  431: ['headers-too-large', 'Request header fields too large'],
  500: ['internal-error', 'Internal server error'],
  502: ['upstream-error', 'Upstream error'],
  503: ['unavailable', 'Service unavailable'],
  504: ['upstream-timeout', 'Upstream timeout'],
};

function describeStatus(status: number): readonly [string, string] {
  return TITLE_BY_STATUS[status] ?? (status >= 500 ? TITLE_BY_STATUS[500]! : TITLE_BY_STATUS[400]!);
}

/** Fastify's own errors (body parsing, body limit, media type) carry a statusCode and a safe message. */
interface FastifyLikeError extends Error {
  statusCode: number;
  code?: string;
}

function isFastifyError(error: unknown): error is FastifyLikeError {
  return (
    error instanceof Error &&
    typeof (error as Partial<FastifyLikeError>).statusCode === 'number' &&
    typeof (error as Partial<FastifyLikeError>).code === 'string' &&
    (error as FastifyLikeError).code!.startsWith('FST_')
  );
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Maps anything thrown while serving a request to its problem+json body and headers. */
export function toProblemResponse(error: unknown, context: ProblemContext): ProblemResponse {
  const base = { instance: context.instance, requestId: context.requestId };
  if (error instanceof ProblemException) {
    const { status, slug, title, detail, errors, headers, extensions } = error.problem;
    return {
      problem: { type: problemType(slug), title, status, detail, ...base, ...extensions, ...(errors && { errors }) },
      headers: headers ?? {},
    };
  }
  if (isGrpcError(error)) {
    const { slug, title, status, detail } = classifyUpstreamError(error);
    return { problem: { type: problemType(slug), title, status, detail, ...base }, headers: {} };
  }
  if (error instanceof HttpException || isFastifyError(error)) {
    const status = error instanceof HttpException ? error.getStatus() : error.statusCode;
    const [slug, title] = describeStatus(status);
    const detail = error instanceof HttpException ? httpExceptionDetail(error) : error.message;
    return { problem: { type: problemType(slug), title, status, detail, ...base }, headers: {} };
  }
  // Unknown errors may carry internals (stack, connection strings): the client gets a generic detail.
  return {
    problem: {
      type: problemType('internal-error'),
      title: 'Internal server error',
      status: 500,
      detail: 'The gateway failed to handle this request; the request id identifies it in the logs.',
      ...base,
    },
    headers: {},
  };
}

import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { toProblemResponse, type ProblemContext, type ProblemResponse } from './problem-mapping.js';

/**
 * The one place where errors become responses. Nest routes Fastify's own failures (body parsing,
 * body limit, unknown routes) through its global filters too, so they get the same shape.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}

const logger = new Logger('ProblemFilter');

/** The problem+json form of `error`, logged: server-side failures as errors, client mistakes at debug. */
function loggedProblem(error: unknown, context: ProblemContext): ProblemResponse {
  const response = toProblemResponse(error, context);
  const { problem } = response;
  if (problem.status >= 500) {
    logger.error({ err: error, status: problem.status, requestId: problem.requestId }, problem.detail);
  } else {
    logger.debug({ status: problem.status, requestId: problem.requestId, detail: problem.detail }, problem.title);
  }
  return response;
}

/** Answers with the problem+json form of any error; also for Fastify routes outside Nest's pipeline. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers } = loggedProblem(error, {
    requestId: String(request.id),
    instance: request.url.split('?', 1)[0] ?? request.url,
  });
  if (reply.sent) return;
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/**
 * sendProblem for a Node response written without Fastify (the edge proxy's requests), over the
 * headers already gathered for it. A response whose head went out can only be cut short.
 */
export function writeProblem(error: unknown, context: ProblemContext, response: ServerResponse, gathered: OutgoingHttpHeaders): void {
  const { problem, headers } = loggedProblem(error, context);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = JSON.stringify(problem);
  response.writeHead(problem.status, {
    ...gathered,
    ...headers,
    // As Fastify's reply labels a string body.
    'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

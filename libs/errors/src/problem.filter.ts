import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { toProblemResponse } from './problem-mapping.js';

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

/** Answers with the problem+json form of any error; also for Fastify routes outside Nest's pipeline. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers } = toProblemResponse(error, {
    requestId: String(request.id),
    instance: request.url.split('?', 1)[0] ?? request.url,
  });
  if (problem.status >= 500) {
    logger.error({ err: error, status: problem.status, requestId: problem.requestId }, problem.detail);
  } else {
    logger.debug({ status: problem.status, requestId: problem.requestId, detail: problem.detail }, problem.title);
  }
  if (reply.sent) return;
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

import { status } from '@grpc/grpc-js';
import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { httpMappingForGrpc } from './grpc-status.js';
import { ProblemException } from './problem.exception.js';
import { toProblemResponse } from './problem-mapping.js';

const context = { requestId: 'req-1', instance: '/api/v1/x' };

describe('toProblemResponse', () => {
  it('keeps a ProblemException as thrown, with its headers and extensions', () => {
    const { problem, headers } = toProblemResponse(
      new ProblemException({
        status: 401,
        slug: 'unauthorized',
        title: 'Unauthorized',
        detail: 'jwt expired',
        headers: { 'www-authenticate': 'Bearer' },
        extensions: { source: 'auth' },
      }),
      context,
    );
    expect(problem).toEqual({
      type: 'https://portico.dev/problems/unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'jwt expired',
      instance: '/api/v1/x',
      requestId: 'req-1',
      source: 'auth',
    });
    expect(headers).toEqual({ 'www-authenticate': 'Bearer' });
  });

  it('keeps transport details of a failed backend out of the answer', () => {
    const error = Object.assign(new Error('14 UNAVAILABLE'), {
      code: status.UNAVAILABLE,
      details: 'No connection established. Last error: connect ECONNREFUSED 10.1.2.3:50051',
    });
    const { problem } = toProblemResponse(error, context);
    expect(problem).toMatchObject({ status: 503, detail: 'upstream unavailable' });
  });

  it('maps a gRPC error through the status table', () => {
    const error = Object.assign(new Error('5 NOT_FOUND: table t9 does not exist'), {
      code: status.NOT_FOUND,
      details: 'table t9 does not exist',
    });
    expect(toProblemResponse(error, context).problem).toMatchObject({ status: 404, detail: 'table t9 does not exist' });
  });

  it("uses Nest's and Fastify's own statuses", () => {
    expect(toProblemResponse(new NotFoundException('Cannot GET /nope'), context).problem).toMatchObject({
      status: 404,
      type: 'https://portico.dev/problems/not-found',
      detail: 'Cannot GET /nope',
    });
    expect(toProblemResponse(new PayloadTooLargeException(), context).problem.status).toBe(413);
    const fastifyError = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(toProblemResponse(fastifyError, context).problem).toMatchObject({ status: 400, detail: 'Body is not valid JSON' });
  });

  it('hides the details of unexpected errors', () => {
    const { problem } = toProblemResponse(new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.1'), context);
    expect(problem.status).toBe(500);
    expect(problem.detail).not.toContain('hunter2');
  });
});

describe('httpMappingForGrpc', () => {
  it.each([
    [status.NOT_FOUND, 404],
    [status.INVALID_ARGUMENT, 400],
    [status.FAILED_PRECONDITION, 409],
    [status.PERMISSION_DENIED, 403],
    [status.UNAUTHENTICATED, 401],
    [status.UNAVAILABLE, 503],
    [status.DEADLINE_EXCEEDED, 504],
    [status.INTERNAL, 502],
    [status.UNKNOWN, 502],
    [status.RESOURCE_EXHAUSTED, 502],
  ])('maps gRPC %i to HTTP %i', (code, http) => {
    expect(httpMappingForGrpc(code).status).toBe(http);
  });
});

import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

export const PROBLEM_SCHEMA_NAME = 'ProblemDetails';

/** OpenAPI schema of the problem+json body; register it once in the document's components. */
export const PROBLEM_DETAILS_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; every Portico error has this shape.',
  required: ['type', 'title', 'status', 'detail', 'instance', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri', example: 'https://portico.dev/problems/not-found' },
    title: { type: 'string', example: 'Not found' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', example: 'table t9 does not exist' },
    instance: { type: 'string', example: '/api/v1/tables/t9' },
    requestId: { type: 'string', example: '6f1c2a9e-3b7d-4c55-9a41-1f0e2d3c4b5a' },
    errors: {
      type: 'array',
      description: 'Present when input validation failed: one entry per bad field',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', example: 'id' }, message: { type: 'string' } },
      },
    },
  },
} as const;

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid input (malformed JSON, a parameter that fails validation)',
  401: 'Missing, invalid or expired bearer token',
  403: 'The token lacks a required role',
  404: 'No such resource',
  409: 'The request conflicts with the resource state',
  413: 'Request body larger than the configured limit',
  502: 'A required backend failed',
  503: 'A required backend is unavailable',
  504: 'A required backend did not answer in time',
};

/** Documents the problem+json responses a route can give, all pointing at the one shared schema. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA_NAME}` } } },
      }),
    ),
  );
}

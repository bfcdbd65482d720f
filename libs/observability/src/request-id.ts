import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// Ids end up in logs and gRPC metadata: bounded length and a conservative alphabet keep log lines
// parseable and stop header injection through a forwarded id.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a well-formed incoming id so a trace spans the caller's systems too; otherwise makes one. */
export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Fastify's `genReqId`: pino-http's own option is ignored on Fastify, so the adapter owns the id. */
export function generateRequestId(request: IncomingMessage): string {
  return requestIdFor(request.headers[REQUEST_ID_HEADER]);
}

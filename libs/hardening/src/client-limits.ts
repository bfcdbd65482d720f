import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, ProblemException, toProblemResponse } from '@portico/errors';
import type { FastifyInstance } from 'fastify';

/** What a client may send and how slowly; 0 disables a timeout. */
export interface ClientLimits {
  maxHeaderBytes: number;
  /** Receiving a whole request, body included. */
  requestTimeoutMs: number;
  /** Receiving the request line and headers: what a slowloris client stretches. */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Socket inactivity, in either direction. */
  connectionTimeoutMs: number;
}

/**
 * Node checks the request and headers timeouts every `connectionsCheckingInterval` (30 s by default),
 * so a slow client could outlive the configured bound by that much. A tighter interval keeps the cut
 * close to the bound; the check walks the open connections, which is cheap once a second.
 */
function checkingIntervalMs(limits: ClientLimits): number {
  const bounds = [limits.headersTimeoutMs, limits.requestTimeoutMs].filter((ms) => ms > 0);
  return Math.max(100, Math.min(1_000, ...bounds.map((ms) => Math.floor(ms / 2))));
}

interface ClientError extends Error {
  code?: string;
}

/** Parser-level failures, before any request exists: Node's codes mapped to a status. */
function problemFor(error: ClientError): ProblemException {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new ProblemException({ status: 431, slug: 'headers-too-large', title: 'Request header fields too large', detail: 'the request headers exceed the size limit' });
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ProblemException({ status: 408, slug: 'request-timeout', title: 'Request timeout', detail: 'the request was not received in time' });
  }
  return new ProblemException({ status: 400, slug: 'bad-request', title: 'Bad request', detail: 'the request is not valid HTTP' });
}

/**
 * Fastify's clientErrorHandler: a malformed, oversized or too slow request gets the same
 * problem+json as every other error, not Node's bare status line, and its connection is closed.
 * No request id was read yet, so a fresh one names the occurrence.
 */
export function answerClientError(this: FastifyInstance, error: ClientError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const requestId = randomUUID();
  const { problem, headers } = toProblemResponse(problemFor(error), { requestId, instance: `urn:uuid:${requestId}` });
  this.log.debug({ err: error, status: problem.status, requestId }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(problem);
    const lines = [
      `HTTP/1.1 ${problem.status} ${problem.title}`,
      `content-type: ${PROBLEM_CONTENT_TYPE}`,
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      'connection: close',
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }
  // As Node itself does: a client that is not reading must not keep the socket open.
  socket.destroy();
}

/** Fastify server options enforcing the limits; spread them into the adapter's options. */
export function clientLimitOptions(limits: ClientLimits) {
  return {
    http: {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits),
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    clientErrorHandler: answerClientError,
  };
}

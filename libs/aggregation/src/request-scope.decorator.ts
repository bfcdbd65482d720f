import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parsePreference, PREFER_HEADER } from './instance-preference.js';

/** What upstream calls made for one client request carry: its id, its cancellation and its instance preference. */
export interface RequestScope {
  requestId: string;
  /** Metadata labels (`version: '2'`) backend instances are preferred by, from the `x-portico-prefer` header. */
  prefer?: Readonly<Record<string, string>>;
  /** Fires when the client goes away before its response is sent, so nobody waits on calls nobody will read. */
  signal: AbortSignal;
}

export const CurrentRequestScope = createParamDecorator((_: unknown, context: ExecutionContext): RequestScope => {
  const http = context.switchToHttp();
  const reply = http.getResponse<FastifyReply>();
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  const request = http.getRequest<FastifyRequest>();
  const prefer = parsePreference(request.headers[PREFER_HEADER]);
  return { requestId: String(request.id), signal: controller.signal, ...(prefer && { prefer }) };
});

/** A source's call (its deadline and signal) carrying the request's id and instance preference to the backend. */
export function withScope<Call extends object>(
  call: Call,
  scope: RequestScope,
): Call & { requestId: string; prefer?: Readonly<Record<string, string>> } {
  return { ...call, requestId: scope.requestId, ...(scope.prefer && { prefer: scope.prefer }) };
}

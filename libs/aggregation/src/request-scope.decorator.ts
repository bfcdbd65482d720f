import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What upstream calls made for one client request carry: its id and its cancellation. */
export interface RequestScope {
  requestId: string;
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
  return { requestId: String(http.getRequest<FastifyRequest>().id), signal: controller.signal };
});

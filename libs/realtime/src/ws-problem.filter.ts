import { Catch, Logger, type ArgumentsHost, type WsExceptionFilter } from '@nestjs/common';
import { problemType, toProblemResponse } from '@portico/errors';
import type { Socket } from 'socket.io';

// The slug alone is the error code: `problem.type` is this base plus the slug.
const PROBLEM_TYPE_BASE = problemType('');

/** What every failed client message gets back: the problem vocabulary, never an HTTP exception. */
export interface ErrorAck {
  ok: false;
  error: { code: string; message: string; status: number };
}

/**
 * Turns whatever a handler throws into an error ack (or an `exception` event when the client sent
 * no ack callback), worded like the REST problem+json: a bad message never crashes the socket.
 */
@Catch()
export class WsProblemFilter implements WsExceptionFilter {
  private readonly logger = new Logger('realtime');

  catch(exception: unknown, host: ArgumentsHost): void {
    const socket = host.switchToWs().getClient<Socket>();
    const ack: unknown = host.getArgByIndex(2);
    const { problem } = toProblemResponse(exception, { requestId: socket.id, instance: socket.nsp.name });
    if (problem.status >= 500) this.logger.warn({ err: exception, socket: socket.id }, 'realtime message failed');
    const error: ErrorAck = {
      ok: false,
      error: { code: problem.type.slice(PROBLEM_TYPE_BASE.length), message: problem.detail ?? problem.title, status: problem.status },
    };
    if (typeof ack === 'function') (ack as (answer: ErrorAck) => void)(error);
    else socket.emit('exception', error);
  }
}

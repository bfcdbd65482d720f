import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { type Observable, tap } from 'rxjs';
import { REQUEST_ID_METADATA } from './unary-call.js';

function codeOf(error: unknown): number {
  const code = (error as { code?: unknown; error?: { code?: unknown } }).code ?? (error as { error?: { code?: unknown } }).error?.code;
  return typeof code === 'number' ? code : status.UNKNOWN;
}

/** One log line per handled call, carrying the caller's request id so a gateway request can be followed into the service. */
@Injectable()
export class GrpcRequestLogger implements NestInterceptor {
  private readonly logger = new Logger('grpc');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metadata = context.switchToRpc().getContext<Metadata>();
    const requestId = metadata.get(REQUEST_ID_METADATA)[0]?.toString();
    const rpc = `${context.getClass().name}.${context.getHandler().name}`;
    const started = performance.now();
    const done = (code: number) => {
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      this.logger.log({ requestId, rpc, code: status[code], durationMs }, 'rpc handled');
    };
    return next.handle().pipe(
      tap({ complete: () => done(status.OK), error: (error: unknown) => done(codeOf(error)) }),
    );
  }
}

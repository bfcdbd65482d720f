import type { IncomingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';
import type { Dispatcher } from 'undici';

/** Where an answer's body goes, chosen once its head arrives; undefined drops the body (an answer about to be retried). */
export type BodyTarget = (statusCode: number, headers: IncomingHttpHeaders) => Writable | undefined;

const asError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error('the request was aborted', { cause: reason }));

/** The error a target closed before the body was written to it ends the relay with. */
export class TargetClosed extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
}

/**
 * Sends one request and streams the answer's body into the writable `open` returns, with
 * backpressure; resolves once that writable has finished, rejects with the failure otherwise.
 *
 * What undici's `stream()` does, written as a bare dispatch handler: `stream()` also wraps every
 * request in an AsyncResource, a handler class and its own abort-signal bookkeeping, which the
 * proxy's hot path paid for on every request (bench/README.md, the proxy scenario) without
 * needing any of it: the caller owns the AbortSignal and the sink.
 */
export function relay(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, open: BodyTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let target: Writable | undefined;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(asError(error));
    };
    // Also settles at once: undici does not call back for an abort that comes after the answer ended
    // (a client that left while the last bytes were being flushed).
    const fail = (error: unknown) => {
      if (controller && !controller.aborted) controller.abort(asError(error));
      settle(error);
    };
    const onAbort = () => fail(signal.reason);
    if (signal.aborted) {
      settle(signal.reason);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const body = options.body;
    if (body && typeof body === 'object' && 'on' in body && typeof body.on === 'function') body.on('error', fail);

    dispatcher.dispatch(options, {
      onRequestStart(started) {
        controller = started;
        if (signal.aborted) started.abort(asError(signal.reason));
      },
      onResponseStart(started, statusCode, headers) {
        // 1xx answers (100 Continue, 103 Early Hints) are not the answer.
        if (statusCode < 200) return;
        try {
          target = open(statusCode, headers);
        } catch (error) {
          fail(error);
          return;
        }
        if (!target) return;
        const opened = target;
        opened.on('drain', () => started.resume());
        opened.on('error', fail);
        opened.once('close', () => {
          if (opened.writableFinished) settle();
          else fail(opened.errored ?? new TargetClosed('the response target closed before the body was written'));
        });
      },
      onResponseData(started, chunk) {
        if (target && !target.write(chunk)) started.pause();
      },
      onResponseEnd() {
        if (target) target.end();
        else settle();
      },
      onResponseError(_started, error) {
        // Once a body was flowing, the target can only be cut short; its 'close' then ends the relay too.
        if (target && !target.destroyed) target.destroy(error);
        settle(error);
      },
    });
  });
}

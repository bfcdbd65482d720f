import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { BodyTooLarge } from './upstream-failure.js';

/** Whether the request carries a body at all (RFC 9112 §6.3: Content-Length or Transfer-Encoding). */
export function hasRequestBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

/**
 * The request body as a stream for the upstream, bounded by `limitBytes`. A declared Content-Length
 * is checked up front by the caller; this guards chunked bodies, counting bytes as they stream
 * through without buffering them.
 */
export function limitedBody(request: IncomingMessage, limitBytes: number): Readable {
  if (request.headers['content-length'] !== undefined) return request;
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limitBytes) callback(new BodyTooLarge(limitBytes));
      else callback(null, chunk);
    },
  });
  request.on('error', (error) => counter.destroy(error));
  return request.pipe(counter);
}

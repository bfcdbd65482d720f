import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relay, TargetClosed } from './relay.js';

const BIG = Buffer.alloc(4 * 1024 * 1024, 'x');

/** Collects what is written, slowly: every write waits a turn, so backpressure is exercised. */
function slowSink(): Writable & { received: Buffer[]; mostBuffered: number } {
  const received: Buffer[] = [];
  const sink = Object.assign(
    new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        sink.mostBuffered = Math.max(sink.mostBuffered, sink.writableLength);
        setImmediate(callback);
      },
    }),
    { received, mostBuffered: 0 },
  );
  return sink;
}

describe('relay', () => {
  let server: Server;
  let pool: Pool;
  /** Responses to /held, answered by the test. */
  const held: ServerResponse[] = [];
  const closedEarly: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.on('close', () => {
        if (!response.writableFinished) closedEarly.push(request.url ?? '');
      });
      if (request.url === '/big') response.end(BIG);
      else if (request.url === '/held') held.push(response);
      else if (request.url === '/early-hints') {
        response.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        response.end('final');
      } else if (request.url === '/endless') response.write('start');
      else response.end('small');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('streams the whole body into the target, with backpressure, and resolves once the target finished', async () => {
    const sink = slowSink();
    let head: number | undefined;
    await relay(pool, { method: 'GET', path: '/big' }, new AbortController().signal, (status) => {
      head = status;
      return sink;
    });
    expect(head).toBe(200);
    expect(sink.writableFinished).toBe(true);
    expect(Buffer.concat(sink.received).equals(BIG)).toBe(true);
    // Without pausing the upstream, most of the 4 MiB would have queued in the sink.
    expect(sink.mostBuffered).toBeLessThan(512 * 1024);
  });

  it('takes the final answer for the target, not an informational 1xx before it', async () => {
    const heads: number[] = [];
    const sink = slowSink();
    await relay(pool, { method: 'GET', path: '/early-hints' }, new AbortController().signal, (status) => {
      heads.push(status);
      return sink;
    });
    expect(heads).toEqual([200]);
    expect(Buffer.concat(sink.received).toString()).toBe('final');
  });

  it('drops the body when no target is given, and resolves', async () => {
    await expect(relay(pool, { method: 'GET', path: '/small' }, new AbortController().signal, () => undefined)).resolves.toBeUndefined();
  });

  it('rejects with the abort reason and cancels the upstream request when the signal aborts before the answer', async () => {
    const abort = new AbortController();
    const relayed = relay(pool, { method: 'GET', path: '/held' }, abort.signal, () => slowSink());
    await expect.poll(() => held.length).toBe(1);
    const reason = new Error('client left');
    abort.abort(reason);
    await expect(relayed).rejects.toBe(reason);
    await expect.poll(() => closedEarly).toContain('/held');
    held.splice(0);
  });

  it('rejects and cancels the upstream request when the target closes before the body ended', async () => {
    const sink = slowSink();
    const relayed = relay(pool, { method: 'GET', path: '/endless' }, new AbortController().signal, () => sink);
    await expect.poll(() => sink.received.length).toBeGreaterThan(0);
    sink.destroy();
    await expect(relayed).rejects.toBeInstanceOf(TargetClosed);
    await expect.poll(() => closedEarly).toContain('/endless');
  });

  it("rejects with the request body's failure, which never goes unhandled", async () => {
    const body = new PassThrough();
    const relayed = relay(pool, { method: 'POST', path: '/small', body }, new AbortController().signal, () => slowSink());
    const error = new Error('body too large');
    body.destroy(error);
    await expect(relayed).rejects.toBe(error);
  });
});

import { status } from '@grpc/grpc-js';
import { ProblemException } from '@portico/errors';
import { describe, expect, it, vi } from 'vitest';
import { Aggregation, type SourceContext } from './aggregation.js';

const after =
  <T>(ms: number, value: T) => ({ signal }: SourceContext) =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });

const failing = (error: Error) => () => Promise.reject(error);

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

async function problemOf(promise: Promise<unknown>): Promise<ProblemException['problem']> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return (error as ProblemException).problem;
}

describe('Aggregation', () => {
  it('runs independent sources in parallel and answers complete', async () => {
    const aggregation = new Aggregation();
    // Each source finishes only once the other has started: run one after the other, they would miss their deadline.
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => (release = resolve));
    let startedCount = 0;
    const source = (value: number) => async () => {
      if (++startedCount === 2) release();
      await bothStarted;
      return value;
    };
    const [a, b] = await Promise.all([
      aggregation.required('a', source(1), { deadlineMs: 1000 }),
      aggregation.optional('b', source(2), { deadlineMs: 1000 }),
    ]);
    expect(aggregation.complete({ a, b })).toEqual({ a: 1, b: 2, partial: false, errors: [] });
  });

  it('marks the answer partial when an optional source fails', async () => {
    const aggregation = new Aggregation();
    const value = await aggregation.optional('stats', failing(grpcError(status.UNAVAILABLE, 'down')), {
      deadlineMs: 100,
    });
    expect(value).toBeUndefined();
    expect(aggregation.complete({})).toEqual({
      partial: true,
      errors: [{ source: 'stats', status: 503, detail: 'upstream unavailable' }],
    });
  });

  it('gives up on an optional source at its deadline and cancels it', async () => {
    const aggregation = new Aggregation();
    let cancelled = false;
    const value = await aggregation.optional(
      'slow',
      ({ signal }) => {
        signal.addEventListener('abort', () => (cancelled = true));
        return new Promise(() => undefined);
      },
      { deadlineMs: 30 },
    );
    expect(value).toBeUndefined();
    expect(cancelled).toBe(true);
    expect(aggregation.complete({}).errors).toEqual([
      { source: 'slow', status: 504, detail: 'slow did not answer within 30 ms' },
    ]);
  });

  it.each([
    [status.UNAVAILABLE, 503, 'tables: upstream unavailable'],
    [status.DEADLINE_EXCEEDED, 504, 'tables: upstream timeout'],
    [status.INTERNAL, 502, 'tables: upstream error'],
    [status.NOT_FOUND, 404, 'tables: boom'],
    [status.FAILED_PRECONDITION, 409, 'tables: boom'],
  ])('turns a required source failing with gRPC %i into HTTP %i', async (code, http, detail) => {
    const aggregation = new Aggregation();
    const problem = await problemOf(aggregation.required('tables', failing(grpcError(code, 'boom')), { deadlineMs: 100 }));
    expect(problem).toMatchObject({ status: http, detail, extensions: { source: 'tables' } });
  });

  it('answers 504 when a required source misses its deadline', async () => {
    const aggregation = new Aggregation();
    const problem = await problemOf(aggregation.required('tables', after(1000, 1), { deadlineMs: 20 }));
    expect(problem.status).toBe(504);
  });

  it('cancels sibling sources when a required one fails', async () => {
    const aggregation = new Aggregation();
    let siblingCancelled = false;
    const sibling = aggregation.optional(
      'players',
      ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            siblingCancelled = true;
            reject(signal.reason as Error);
          }),
        ),
      { deadlineMs: 5000 },
    );
    await problemOf(aggregation.required('tables', failing(new Error('broken')), { deadlineMs: 100 }));
    await sibling;
    expect(siblingCancelled).toBe(true);
  });

  it('cancels outstanding sources when the client goes away', async () => {
    const client = new AbortController();
    const aggregation = new Aggregation({ signal: client.signal });
    let cancelled = false;
    const pending = aggregation.optional(
      'slow',
      ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => ((cancelled = true), reject(new Error('x'))))),
      { deadlineMs: 5000 },
    );
    client.abort(new Error('client closed the connection'));
    await pending;
    expect(cancelled).toBe(true);
  });

  it('answers 499, not an upstream failure, when the client left before a required source answered', async () => {
    const client = new AbortController();
    const aggregation = new Aggregation({ signal: client.signal });
    const pending = problemOf(aggregation.required('tables', after(5000, 1), { deadlineMs: 10_000 }));
    client.abort(new Error('client closed the connection'));
    expect(await pending).toMatchObject({ status: 499, slug: 'client-closed-request' });
  });

  it('does not start sources once a required one has failed', async () => {
    const aggregation = new Aggregation();
    await problemOf(aggregation.required('tables', failing(new Error('broken')), { deadlineMs: 100 }));
    let started = false;
    const value = await aggregation.optional(
      'players',
      () => {
        started = true;
        return Promise.resolve(1);
      },
      { deadlineMs: 100 },
    );
    expect(started).toBe(false);
    expect(value).toBeUndefined();
  });

  it('reports the deadline the same way when the transport notices it first', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const aggregation = new Aggregation();
      let failCall!: (error: Error) => void;
      const pending = aggregation.optional('players', () => new Promise((_, reject) => (failCall = reject)), { deadlineMs: 300 });
      // The gRPC deadline (the same 300 ms) fires before the aggregation's own timer gets its turn.
      vi.setSystemTime(Date.now() + 300);
      failCall(grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 0.300s'));
      expect(await pending).toBeUndefined();
      expect(aggregation.complete({}).errors).toEqual([
        { source: 'players', status: 504, detail: 'players did not answer within 300 ms' },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('still answers on time when a source ignores cancellation', async () => {
    const aggregation = new Aggregation();
    const value = await aggregation.optional('stubborn', () => new Promise(() => undefined), { deadlineMs: 25 });
    expect(value).toBeUndefined();
    expect(aggregation.complete({}).partial).toBe(true);
  });
});

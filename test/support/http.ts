import { get as httpGet } from 'node:http';
import { expect } from 'vitest';

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Bounds the whole call, so a hung gateway fails the test instead of the suite timeout. */
  timeoutMs?: number;
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T;
  elapsedMs: number;
}

/** One HTTP call with Node's fetch; the body is read in full and parsed when it is JSON. */
export async function call<T = unknown>(baseUrl: string, path: string, options: CallOptions = {}): Promise<CallResult<T>> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body !== undefined && { body: options.body }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  const elapsedMs = performance.now() - started;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: body as T, elapsedMs };
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

const PROBLEM_BASE = 'https://portico.dev/problems/';

/**
 * Asserts an RFC 9457 answer: the status, application/problem+json, every documented member, the
 * type slug when given, and a requestId equal to the x-request-id response header.
 */
export function expectProblem(result: CallResult, status: number, slug?: string): Problem {
  const context = `${status} problem, got ${result.status}: ${result.text}`;
  expect(result.status, context).toBe(status);
  expect(result.headers.get('content-type'), context).toMatch(/^application\/problem\+json\b/);
  const problem = result.body as Problem;
  expect(problem, context).toBeTypeOf('object');
  expect(problem.type, context).toMatch(new RegExp(`^${PROBLEM_BASE.replaceAll('.', '\\.')}[a-z-]+$`));
  if (slug !== undefined) expect(problem.type, context).toBe(`${PROBLEM_BASE}${slug}`);
  expect(problem.title, context).toEqual(expect.any(String));
  expect(problem.title.length, context).toBeGreaterThan(0);
  expect(problem.status, context).toBe(status);
  expect(problem.detail, context).toEqual(expect.any(String));
  expect(problem.detail.length, context).toBeGreaterThan(0);
  expect(problem.instance, context).toEqual(expect.any(String));
  expect(problem.instance.startsWith('/'), context).toBe(true);
  expect(problem.requestId, context).toEqual(expect.any(String));
  expect(problem.requestId.length, context).toBeGreaterThan(0);
  expect(result.headers.get('x-request-id'), context).toBe(problem.requestId);
  return problem;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A GET through node:http, which sends headers exactly as given, including those fetch refuses or
 * rewrites (Host, Connection): for proxy suites playing clients of virtual hosts or hop-by-hop headers.
 */
export function rawGet<T = unknown>(baseUrl: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpGet(`${baseUrl}${path}`, { headers, agent: false, timeout: 10_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => (text += part));
      response.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: response.statusCode ?? 0, body: body as T });
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`GET ${path} timed out`)));
    outgoing.on('error', reject);
  });
}

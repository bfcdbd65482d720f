import { ProblemException } from '@portico/errors';

/** How a forwarding attempt ended, as metrics label it. */
export type ForwardOutcome =
  | 'success'
  | 'http_5xx'
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'cancelled'
  | 'body_too_large'
  | 'circuit_open'
  | 'no_target'
  | 'error';

/** Thrown into the request body stream when the client sends more than the route allows. */
export class BodyTooLarge extends Error {
  readonly code = 'PORTICO_BODY_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`the request body exceeds the limit of ${limitBytes} bytes`);
  }
}

export interface ClassifiedFailure {
  outcome: ForwardOutcome;
  /** Whether another attempt could succeed where this one failed. */
  retryable: boolean;
  problem: () => ProblemException;
}

function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  // undici wraps socket errors; the OS code may sit on the cause.
  for (let depth = 0; depth < 3 && current instanceof Error; depth++) {
    // AbortSignal's default reason is a DOMException whose code is a number.
    if (current.name === 'AbortError') return 'ABORT_ERR';
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    current = current.cause;
  }
  return undefined;
}

const problem = (status: number, slug: string, title: string, detail: string) => () =>
  new ProblemException({ status, slug, title, detail });

/**
 * Maps a failed attempt to what the client gets. Details name the upstream, never a target address:
 * addresses are internal and stay in the logs.
 */
export function classifyForwardFailure(error: unknown, upstream: string): ClassifiedFailure {
  if (error instanceof BodyTooLarge) {
    return {
      outcome: 'body_too_large',
      retryable: false,
      problem: problem(413, 'payload-too-large', 'Payload too large', error.message),
    };
  }
  switch (codeOf(error)) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { outcome: 'refused', retryable: true, problem: problem(502, 'upstream-error', 'Upstream error', `${upstream} refused the connection`) };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { outcome: 'reset', retryable: true, problem: problem(502, 'upstream-error', 'Upstream error', `${upstream} closed the connection`) };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'PORTICO_DEADLINE':
      return { outcome: 'timeout', retryable: true, problem: problem(504, 'upstream-timeout', 'Upstream timeout', `${upstream} did not answer in time`) };
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return { outcome: 'cancelled', retryable: false, problem: problem(499, 'client-closed-request', 'Client closed request', 'the client went away') };
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return { outcome: 'error', retryable: false, problem: problem(400, 'bad-request', 'Bad request', 'the request body does not match its Content-Length') };
    case undefined:
    default:
      return { outcome: 'error', retryable: false, problem: problem(502, 'upstream-error', 'Upstream error', `${upstream} failed`) };
  }
}

import { HttpException } from '@nestjs/common';
import type { FieldError } from './problem.js';

export interface ProblemInit {
  status: number;
  /** Kebab-case kind of problem; becomes the `type` URI. */
  slug: string;
  title: string;
  detail: string;
  errors?: readonly FieldError[];
  /** Response headers the problem implies, such as `WWW-Authenticate` or `Retry-After`. */
  headers?: Readonly<Record<string, string>>;
  extensions?: Readonly<Record<string, unknown>>;
}

/** An HttpException that already knows its problem+json body; thrown by guards, pipes and handlers alike. */
export class ProblemException extends HttpException {
  constructor(readonly problem: ProblemInit, options?: { cause?: unknown }) {
    super(problem.detail, problem.status, options);
  }
}

/** RFC 9457 problem details: the one error shape every Portico response uses. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  /** Per-field validation messages, present on 400s that came from input validation. */
  errors?: readonly FieldError[];
  [extension: string]: unknown;
}

export interface FieldError {
  field: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const PROBLEM_BASE = 'https://portico.dev/problems/';

/** A stable, documented URI per kind of problem (see docs/errors.md), so clients branch on `type`, not on prose. */
export function problemType(slug: string): string {
  return `${PROBLEM_BASE}${slug}`;
}

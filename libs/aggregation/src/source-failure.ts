/** How a source failed, in the terms a client of the aggregate needs: the HTTP status it amounts to. */
export interface FailureClassification {
  status: number;
  slug: string;
  title: string;
  detail: string;
}

/** Turns whatever a source threw into a classification; transports (gRPC, HTTP) bring their own. */
export type FailureClassifier = (error: unknown) => FailureClassification;

/** One entry of a partial answer's `errors` list. */
export interface SourceError {
  source: string;
  status: number;
  detail: string;
}

export class SourceDeadlineError extends Error {
  constructor(readonly source: string, readonly deadlineMs: number) {
    super(`${source} did not answer within ${deadlineMs} ms`);
    this.name = 'SourceDeadlineError';
  }
}

/** Failures the aggregator itself produces, whatever the transport: deadlines and unknown errors. */
export function classifyOwnFailures(error: unknown, fallback: FailureClassifier): FailureClassification {
  if (error instanceof SourceDeadlineError) {
    return { status: 504, slug: 'upstream-timeout', title: 'Upstream timeout', detail: error.message };
  }
  return fallback(error);
}

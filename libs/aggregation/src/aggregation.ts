import { Logger } from '@nestjs/common';
import { classifyUpstreamError, ProblemException } from '@portico/errors';
import {
  classifyOwnFailures,
  SourceDeadlineError,
  type FailureClassifier,
  type SourceError,
} from './source-failure.js';

const logger = new Logger('Aggregation');

export interface SourceOptions {
  /** Time this source may take, from the moment it starts. */
  deadlineMs: number;
}

/** What a source gets to do its work with: pass both on, so the upstream learns the deadline too. */
export interface SourceContext {
  /** Aborts when the deadline passes, the client goes away or a required sibling fails. */
  signal: AbortSignal;
  deadlineMs: number;
}

export type SourceCall<T> = (context: SourceContext) => Promise<T>;

export interface AggregationOptions {
  /** Aborts every outstanding source, typically when the client disconnects. */
  signal?: AbortSignal;
  /** Defaults to the gRPC status table, with anything unrecognised as a 502. */
  classify?: FailureClassifier;
}

export interface AggregateBody {
  partial: boolean;
  errors: SourceError[];
}

/**
 * One aggregated response being assembled. Independent sources run in parallel by starting them
 * together (`Promise.all`); a source that needs another's answer awaits it first. A required
 * source's failure aborts the rest and becomes the response's problem; an optional source's
 * failure is recorded and the answer is marked partial.
 */
export class Aggregation {
  private readonly errors: SourceError[] = [];
  private readonly controller = new AbortController();
  private readonly classify: FailureClassifier;

  constructor(options: AggregationOptions = {}) {
    this.classify = options.classify ?? classifyUpstreamError;
    if (options.signal) {
      const outer = options.signal;
      if (outer.aborted) this.controller.abort(outer.reason);
      else outer.addEventListener('abort', () => this.controller.abort(outer.reason), { once: true });
    }
  }

  async required<T>(source: string, call: SourceCall<T>, options: SourceOptions): Promise<T> {
    try {
      return await this.run(source, call, options);
    } catch (error) {
      const failure = classifyOwnFailures(error, this.classify);
      this.controller.abort(error);
      throw new ProblemException(
        { ...failure, detail: `${source}: ${failure.detail}`, extensions: { source } },
        { cause: error },
      );
    }
  }

  async optional<T>(source: string, call: SourceCall<T>, options: SourceOptions): Promise<T | undefined> {
    try {
      return await this.run(source, call, options);
    } catch (error) {
      const { status, detail } = classifyOwnFailures(error, this.classify);
      // The client sees a sanitised detail; the log keeps what actually happened.
      logger.warn({ source, status, err: error }, 'optional source failed; answering partial');
      this.errors.push({ source, status, detail });
      return undefined;
    }
  }

  /** The response body with the partial flag and the optional sources' errors. */
  complete<T extends object>(body: T): T & AggregateBody {
    return { ...body, partial: this.errors.length > 0, errors: [...this.errors] };
  }

  private async run<T>(source: string, call: SourceCall<T>, { deadlineMs }: SourceOptions): Promise<T> {
    this.controller.signal.throwIfAborted();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new SourceDeadlineError(source, deadlineMs)), deadlineMs);
    const signal = AbortSignal.any([this.controller.signal, deadline.signal]);
    try {
      // Race the call against the signal so a source that ignores cancellation still cannot hold the response.
      return await Promise.race([call({ signal, deadlineMs }), rejectOnAbort(signal)]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

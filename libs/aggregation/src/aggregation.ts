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
  private readonly classify: FailureClassifier;
  /** One controller per running source: cheaper on the hot path than AbortSignal.any per source. */
  private readonly running = new Set<AbortController>();
  private abortReason: Error | undefined;
  private clientGone = false;

  constructor(options: AggregationOptions = {}) {
    this.classify = options.classify ?? classifyUpstreamError;
    const client = options.signal;
    if (client?.aborted) this.clientLeft(client.reason);
    else client?.addEventListener('abort', () => this.clientLeft(client.reason), { once: true });
  }

  async required<T>(source: string, call: SourceCall<T>, options: SourceOptions): Promise<T> {
    try {
      return await this.run(source, call, options);
    } catch (error) {
      if (this.clientGone) throw clientClosedRequest(source, error);
      const failure = classifyOwnFailures(error, this.classify);
      this.abortAll(error);
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
      // The client sees a sanitised detail; the log keeps what actually happened (unless nobody is waiting).
      if (!this.clientGone) logger.warn({ source, status, err: error }, 'optional source failed; answering partial');
      this.errors.push({ source, status, detail });
      return undefined;
    }
  }

  /** The response body with the partial flag and the optional sources' errors. */
  complete<T extends object>(body: T): T & AggregateBody {
    return { ...body, partial: this.errors.length > 0, errors: [...this.errors] };
  }

  private run<T>(source: string, call: SourceCall<T>, { deadlineMs }: SourceOptions): Promise<T> {
    if (this.abortReason !== undefined) return Promise.reject(this.abortReason);
    const controller = new AbortController();
    this.running.add(controller);
    // The transport usually carries the same deadline (gRPC does) and may notice it first; a failure
    // once the deadline has passed is reported as the deadline, whichever timer fired first.
    const expiresAt = Date.now() + deadlineMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => controller.abort(new SourceDeadlineError(source, deadlineMs)), deadlineMs);
      const settle = () => {
        clearTimeout(timer);
        this.running.delete(controller);
      };
      // Settling on abort, not on the call's own rejection, means a source that ignores cancellation
      // still cannot hold the response past its deadline.
      controller.signal.addEventListener(
        'abort',
        () => {
          settle();
          reject(asError(controller.signal.reason));
        },
        { once: true },
      );
      call({ signal: controller.signal, deadlineMs }).then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(Date.now() >= expiresAt ? new SourceDeadlineError(source, deadlineMs) : asError(error));
        },
      );
    });
  }

  private clientLeft(reason: unknown): void {
    this.clientGone = true;
    this.abortAll(reason);
  }

  private abortAll(reason: unknown): void {
    this.abortReason ??= asError(reason);
    for (const controller of this.running) controller.abort(reason);
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** nginx's 499: nobody reads this answer, so it is logged quietly and never counted as an upstream failure. */
function clientClosedRequest(source: string, cause: unknown): ProblemException {
  return new ProblemException(
    { status: 499, slug: 'client-closed-request', title: 'Client closed request', detail: `${source}: the client went away` },
    { cause },
  );
}

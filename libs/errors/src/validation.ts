import { StandardSchemaValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { FieldError } from './problem.js';
import { ProblemException } from './problem.exception.js';

/** Thrown by the factory below, then completed with the parameter's name once the pipe knows it. */
class InvalidInput extends Error {
  constructor(readonly issues: readonly StandardSchemaV1.Issue[]) {
    super('invalid input');
  }
}

function fieldOf(issue: StandardSchemaV1.Issue, parameter: string | undefined): string {
  const path = (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment));
  return [parameter, ...path].filter(Boolean).join('.') || 'body';
}

/**
 * Validates `@Body/@Param/@Query({ schema })` with any Standard Schema (zod) and answers 400
 * problem+json naming each bad field, e.g. `id` for a path parameter or `seat.position` in a body.
 */
export class ProblemValidationPipe extends StandardSchemaValidationPipe {
  constructor() {
    super({ exceptionFactory: (issues) => new InvalidInput(issues) });
  }

  override async transform<T = unknown>(value: T, metadata: ArgumentMetadata): Promise<T> {
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      const errors: FieldError[] = error.issues.map((issue) => ({ field: fieldOf(issue, metadata.data), message: issue.message }));
      throw new ProblemException({
        status: 400,
        slug: 'validation-failed',
        title: 'Validation failed',
        detail: errors.map((field) => `${field.field}: ${field.message}`).join('; '),
        errors,
      });
    }
  }
}

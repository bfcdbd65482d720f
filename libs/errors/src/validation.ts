import { StandardSchemaValidationPipe } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { FieldError } from './problem.js';
import { ProblemException } from './problem.exception.js';

function fieldOf(issue: StandardSchemaV1.Issue): string {
  const path = issue.path ?? [];
  return path.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.') || '(input)';
}

/** Validates `@Body/@Param/@Query({ schema })` with any Standard Schema (zod) and answers 400 problem+json naming the fields. */
export function createValidationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({
    exceptionFactory: (issues) => {
      const errors: FieldError[] = issues.map((issue) => ({ field: fieldOf(issue), message: issue.message }));
      return new ProblemException({
        status: 400,
        slug: 'validation-failed',
        title: 'Validation failed',
        detail: errors.map((error) => `${error.field}: ${error.message}`).join('; '),
        errors,
      });
    },
  });
}

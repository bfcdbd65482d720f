export {
  Aggregation,
  type AggregateBody,
  type AggregationOptions,
  type SourceCall,
  type SourceContext,
  type SourceOptions,
 } from './aggregation.js';
export { CurrentRequestScope, withScope, type RequestScope } from './request-scope.decorator.js';
export { SourceDeadlineError, type FailureClassification, type FailureClassifier, type SourceError } from './source-failure.js';
export { parsePreference, PREFER_HEADER } from './instance-preference.js';

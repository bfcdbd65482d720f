/** Per-source time budgets of aggregated endpoints, from configuration. */
export class SourceDeadlines {
  constructor(
    readonly requiredMs: number,
    readonly optionalMs: number,
  ) {}
}

export class UnknownTableError extends Error {
  override readonly name = 'UnknownTableError';

  constructor(readonly tableId: string) {
    super(`table ${tableId} does not exist`);
  }
}

export class TableFullError extends Error {
  override readonly name = 'TableFullError';

  constructor(
    readonly tableId: string,
    readonly capacity: number,
  ) {
    super(`table ${tableId} is full (${capacity} seats)`);
  }
}

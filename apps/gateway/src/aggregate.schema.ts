import { z } from 'zod';

/** Fields every aggregated response carries, so clients handle partial answers the same way everywhere. */
export const aggregateFields = {
  partial: z.boolean().meta({ description: 'true when an optional source failed or timed out; see `errors`' }),
  errors: z
    .array(
      z
        .object({
          source: z.string().meta({ description: 'Which source failed', example: 'players' }),
          status: z.number().int().meta({ description: 'HTTP status the failure amounts to', example: 504 }),
          detail: z.string().meta({ example: 'players did not answer within 800 ms' }),
        })
        .meta({ id: 'SourceError' }),
    )
    .meta({ description: 'One entry per optional source that failed' }),
};

export const SeatSchema = z
  .object({
    playerId: z.string().meta({ example: 'p1' }),
    displayName: z.string().nullable().meta({ description: 'null when player-service did not answer', example: 'Ada Whitfield' }),
  })
  .meta({ id: 'Seat' });

export const TableViewSchema = z
  .object({
    id: z.string().meta({ example: 't1' }),
    name: z.string().meta({ example: 'Main Street' }),
    game: z.string().meta({ example: 'holdem' }),
    stakes: z.string().meta({ example: '1/2' }),
    capacity: z.number().int().meta({ example: 6 }),
    openSeats: z.number().int().meta({ example: 4 }),
    seats: z.array(SeatSchema),
  })
  .meta({ id: 'TableView' });

export type TableView = z.infer<typeof TableViewSchema>;

export const TableIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _')
  .meta({ description: 'Table id', example: 't1' });

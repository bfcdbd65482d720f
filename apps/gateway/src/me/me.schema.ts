import { z } from 'zod';
import { aggregateFields } from '../aggregate.schema.js';

export const MeSchema = z
  .object({
    player: z
      .object({
        id: z.string().meta({ example: 'p1' }),
        displayName: z.string().meta({ example: 'Ada Whitfield' }),
        country: z.string().meta({ example: 'GB' }),
        avatarUrl: z.string().meta({ example: 'https://avatars.example/p1.png' }),
      })
      .meta({ id: 'Player' }),
    stats: z
      .object({
        gamesPlayed: z.number().int(),
        wins: z.number().int(),
        losses: z.number().int(),
        rating: z.number().int(),
        chips: z.number().int(),
      })
      .nullable()
      .meta({ id: 'PlayerStats', description: 'null when player-service could not give statistics in time' }),
    tables: z
      .array(z.object({ id: z.string(), name: z.string() }).meta({ id: 'SeatedAt' }))
      .nullable()
      .meta({ description: 'Tables where the caller sits; null when table-service did not answer' }),
    ...aggregateFields,
  })
  .meta({ id: 'Me' });

export type Me = z.infer<typeof MeSchema>;

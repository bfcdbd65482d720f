import { z } from 'zod';
import { aggregateFields, TableViewSchema } from '../aggregate.schema.js';

export const LobbySchema = z
  .object({
    tables: z.array(TableViewSchema),
    online: z.number().int().optional().meta({ description: 'Users online on any instance; absent (and `partial`) when presence did not answer', example: 42 }),
    ...aggregateFields,
  })
  .meta({ id: 'Lobby' });

export type Lobby = z.infer<typeof LobbySchema>;

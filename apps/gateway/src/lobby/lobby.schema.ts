import { z } from 'zod';
import { aggregateFields, TableViewSchema } from '../aggregate.schema.js';

export const LobbySchema = z.object({ tables: z.array(TableViewSchema), ...aggregateFields }).meta({ id: 'Lobby' });

export type Lobby = z.infer<typeof LobbySchema>;

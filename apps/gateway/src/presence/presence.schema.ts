import { z } from 'zod';

export const PresenceSchema = z
  .object({ online: z.number().int().meta({ description: 'Distinct users with an open socket on any gateway instance', example: 42 }) })
  .meta({ id: 'Presence' });

export type Presence = z.infer<typeof PresenceSchema>;

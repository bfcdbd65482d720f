import type { ChatMessage, Table } from './generated/portico/table/v1/table.js';

/** Socket channels of the example domain: every table has one, and the lobby sees every table. */
export const realtimeChannels = {
  lobby: 'lobby',
  table: (tableId: string) => `table:${tableId}`,
} as const;

/** Every server → client event on the `/realtime` namespace, by name, with its payload. */
export interface PorticoRealtimeEvents {
  /** On `table:<id>` and `lobby` after every join or leave: the table as table-service holds it. */
  'table.updated': { table: Table };
  /** On `table:<id>` when someone posts there. */
  'table.chat': { message: ChatMessage };
  /** On `lobby` when the number of distinct users online changes. */
  'presence.updated': { online: number };
}

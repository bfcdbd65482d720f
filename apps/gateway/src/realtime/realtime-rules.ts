import { realtimeChannels } from '@portico/contracts';
import { IDENTITY_METADATA } from '@portico/grpc';
import { messageRule, type RealtimeRules } from '@portico/realtime';
import { z } from 'zod';
import type { TableBackend } from '../backends/table-backend.js';
import type { SourceDeadlines } from '../source-deadlines.js';
import type { LocalTableEvents } from './local-table-events.js';

const ChatData = z.object({ text: z.string().min(1).max(500) }).strict();

/**
 * Who may subscribe where, and which client messages go to which backend. A private channel is one
 * more rule, e.g. `{ pattern: 'user:<sub>', authorize: (principal, { sub }) => principal.sub === sub }`.
 */
export function realtimeRules(tables: TableBackend, events: LocalTableEvents, deadlines: SourceDeadlines): RealtimeRules {
  return {
    channels: [
      { pattern: realtimeChannels.lobby, authorize: () => true },
      // Anyone authenticated may watch any table.
      { pattern: realtimeChannels.table('<id>'), authorize: () => true },
    ],
    messages: [
      messageRule({
        event: 'table.chat',
        channel: realtimeChannels.table('<id>'),
        schema: ChatData,
        async handle({ principal, params, data, requestId }) {
          const message = await tables.postChatMessage(params['id']!, data.text, {
            deadlineMs: deadlines.requiredMs,
            requestId,
            metadata: { [IDENTITY_METADATA]: principal.sub },
          });
          await events.chatPosted(message);
          return { message };
        },
      }),
    ],
  };
}

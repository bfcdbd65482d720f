import type { Principal } from '@portico/auth';
import type { StandardSchemaV1 } from '@standard-schema/spec';

export interface MessageContext<Data> {
  principal: Principal;
  /** The channel pattern's placeholders, e.g. `{ id: 't1' }` for `table:<id>`. */
  params: Readonly<Record<string, string>>;
  data: Data;
  /** Fresh per message; forwarded as the backend call's request id. */
  requestId: string;
}

/**
 * A client → backend message the app accepts: `event` sent on a channel matching `channel`,
 * validated by `schema`; what `handle` returns is the client's ack `result`.
 */
export interface MessageRule<Data = unknown> {
  event: string;
  channel: string;
  schema: StandardSchemaV1<unknown, Data>;
  handle(context: MessageContext<Data>): Promise<unknown>;
}

/** Keeps a rule's schema and handler types paired while the list holds rules of different data types. */
export function messageRule<Data>(rule: MessageRule<Data>): MessageRule {
  return rule;
}

import { z } from 'zod';
import { aggregateFields, TableViewSchema } from '../aggregate.schema.js';

export const TableDetailSchema = z.object({ table: TableViewSchema, ...aggregateFields }).meta({ id: 'TableDetail' });

export type TableDetail = z.infer<typeof TableDetailSchema>;

import { z } from 'zod';

/** z.record whose key errors say what is wrong with the key, instead of zod's generic "Invalid key in record". */
export function keyedRecord<Key extends z.core.$ZodRecordKey, Value extends z.core.SomeType>(key: Key, value: Value) {
  return z.record(key, value, {
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join('; ') : undefined),
  });
}

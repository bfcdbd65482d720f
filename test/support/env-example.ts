import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Variable names documented in .env.example, so a spec can prove every schema key is there. */
export function envExampleKeys(): Set<string> {
  const text = readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url)), 'utf8');
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
}

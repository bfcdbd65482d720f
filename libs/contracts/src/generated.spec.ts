import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const committed = fileURLToPath(new URL('./generated/', import.meta.url));
const generator = fileURLToPath(new URL('../../../scripts/generate-contracts.mjs', import.meta.url));

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('generated contracts', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'portico-contracts-check-'));
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('match what the .proto files generate', { timeout: 60_000 }, () => {
    execFileSync(process.execPath, [generator, fresh], { stdio: 'pipe' });
    const expected = filesUnder(fresh);
    const actual = filesUnder(committed);
    const stale = [...new Set([...expected.keys(), ...actual.keys()])]
      .filter((file) => expected.get(file) !== actual.get(file))
      .sort();

    expect(
      stale,
      `libs/contracts/src/generated is out of date with the .proto files; run \`npm run proto:generate\`. Differing files`,
    ).toEqual([]);
  });
});

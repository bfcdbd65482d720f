// bench/results/<YYYY-MM-DD>.json holds one section per scenario ({ lobby: {...}, proxy: {...} }):
// a run replaces its own section and keeps the others from the same day.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** A file written before the scenarios shared it holds one lobby report at its top level. */
function sectionsOf(existing) {
  if (existing === null || typeof existing !== 'object') return {};
  if ('benchmark' in existing) return { lobby: existing };
  return existing;
}

/** Writes `report` as `section` of the day's results file and returns the file's path. */
export function writeResults(resultsDir, section, report) {
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}${report.date}.json`;
  let sections = {};
  if (existsSync(file)) {
    try {
      sections = sectionsOf(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      process.stderr.write(`warning: ${file} is not valid JSON (${error.message}); it is replaced\n`);
    }
  }
  sections[section] = report;
  // Written aside and renamed, so an interrupted run never leaves a half-written results file.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(sections, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** What autocannon's rounds of one scenario add up to, whichever average a script reports. */
export function roundTotals(rounds) {
  const sum = (pick) => rounds.reduce((total, round) => total + pick(round), 0);
  return {
    requestsPerSecByRound: rounds.map((round) => round.result.requests.mean),
    requestsTotal: sum((round) => round.result.latency.totalCount),
    latencyMaxMs: Math.max(...rounds.map((round) => round.result.latency.max)),
    non2xx: sum((round) => round.result.non2xx),
    errors: sum((round) => round.result.errors),
    timeouts: sum((round) => round.result.timeouts),
    statusCodes: rounds.reduce((codes, round) => {
      for (const [code, { count }] of Object.entries(round.result.statusCodeStats)) codes[code] = (codes[code] ?? 0) + count;
      return codes;
    }, {}),
  };
}

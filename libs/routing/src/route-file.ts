import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { locate, type SourcePosition } from './issue-location.js';
import { checkRoute, checkRoutes, routeFileReferences, routeReferences } from './route-checks.js';
import { formatIssuePath, keyedIssues, type KeyedIssue, type RouteFileIssue } from './route-file-issue.js';
import { routeFileSchema, type RouteFile } from './route-file.schema.js';
import { routeSpecSchema, type RouteSpec } from './route-spec.schema.js';

export type RouteFileResult = { ok: true; file: RouteFile } | { ok: false; issues: RouteFileIssue[] };

export type RouteValidation = { ok: true; route: RouteSpec } | { ok: false; issues: RouteFileIssue[] };

export interface RouteFileOptions {
  /** Paths the gateway serves itself, e.g. /health; a route that could match under one is refused. */
  reservedPrefixes?: readonly string[];
}

/** Reads and validates a route file; `.json` is parsed as JSON, anything else as YAML (a superset of JSON). */
export async function readRouteFile(filePath: string, options: RouteFileOptions = {}): Promise<RouteFileResult> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: error instanceof Error ? error.message : String(error) }] };
  }
  return parseRouteFile(text, extname(filePath).toLowerCase() === '.json' ? 'json' : 'yaml', options);
}

/** Validates a route file's text; every issue found is returned at once, located by line and column. */
export function parseRouteFile(text: string, format: 'yaml' | 'json', options: RouteFileOptions = {}): RouteFileResult {
  // The YAML document is parsed for JSON too: it is what maps an issue's path back to a line and column.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const data = format === 'json' ? fromJson(text, document, lineCounter) : fromYaml(document, lineCounter);
  if (!data.ok) return data;
  const checked = checkFile(data.value, options.reservedPrefixes ?? []);
  if (checked.ok) return checked;
  const issues = checked.issues.map((issue) => toRouteFileIssue(issue, locate(document, lineCounter, issue.path)));
  return { ok: false, issues: issues.sort(bySourcePosition) };
}

/** One route, as the admin API receives it; its upstreams must be among `upstreamNames`. */
export function validateRoute(
  candidate: unknown,
  upstreamNames: ReadonlySet<string>,
  options: RouteFileOptions = {},
): RouteValidation {
  const parsed = routeSpecSchema.safeParse(candidate);
  const issues = [
    ...(parsed.success ? [] : keyedIssues(parsed.error)),
    ...checkRoute(routeReferences.parse(candidate), upstreamNames, options.reservedPrefixes ?? []),
  ];
  if (parsed.success && issues.length === 0) return { ok: true, route: parsed.data };
  return { ok: false, issues: issues.map((issue) => toRouteFileIssue(issue)) };
}

type Parsed = { ok: true; value: unknown } | { ok: false; issues: RouteFileIssue[] };

function fromYaml(document: Document, lineCounter: LineCounter): Parsed {
  if (document.errors.length > 0) return { ok: false, issues: document.errors.map((error) => syntaxIssue(error, lineCounter)) };
  try {
    return { ok: true, value: document.toJS() };
  } catch (error) {
    // toJS refuses documents whose aliases expand without bound.
    return { ok: false, issues: [{ path: '', message: error instanceof Error ? error.message : String(error) }] };
  }
}

function fromJson(text: string, document: Document, lineCounter: LineCounter): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, issues: [jsonSyntaxIssue(error, lineCounter)] };
  }
  // JSON.parse silently keeps the last of two equal keys, such as two upstreams of the same name.
  const duplicates = document.errors.filter((error) => error.code === 'DUPLICATE_KEY');
  if (duplicates.length > 0) return { ok: false, issues: duplicates.map((error) => syntaxIssue(error, lineCounter)) };
  return { ok: true, value };
}

function syntaxIssue(error: YAMLError, lineCounter: LineCounter): RouteFileIssue {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return { path: '', message: error.message, line, column: col };
}

// V8 words it "... in JSON at position 12 (line 2 column 5)"; without a position the issue is unlocated.
const JSON_POSITION = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/;

function jsonSyntaxIssue(error: unknown, lineCounter: LineCounter): RouteFileIssue {
  const message = error instanceof Error ? error.message : String(error);
  const offset = JSON_POSITION.exec(message)?.[1];
  if (offset === undefined) return { path: '', message };
  const { line, col } = lineCounter.linePos(Number(offset));
  return { path: '', message: message.replace(JSON_POSITION, ''), line, column: col };
}

type Checked = { ok: true; file: RouteFile } | { ok: false; issues: KeyedIssue[] };

function checkFile(data: unknown, reservedPrefixes: readonly string[]): Checked {
  const parsed = routeFileSchema.safeParse(data);
  const { upstreams, routes } = routeFileReferences.parse(data);
  const issues = [
    ...(parsed.success ? [] : keyedIssues(parsed.error)),
    ...checkRoutes(routes, new Set(Object.keys(upstreams)), reservedPrefixes),
  ];
  return parsed.success && issues.length === 0 ? { ok: true, file: parsed.data } : { ok: false, issues };
}

function toRouteFileIssue(issue: KeyedIssue, position?: SourcePosition): RouteFileIssue {
  const located = { path: formatIssuePath(issue.path), message: issue.message };
  return position === undefined ? located : { ...located, ...position };
}

function bySourcePosition(a: RouteFileIssue, b: RouteFileIssue): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

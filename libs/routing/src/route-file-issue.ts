import type { z } from 'zod';

/** One problem in a route file, located in the source when it came from one. */
export interface RouteFileIssue {
  /** Where in the file's structure, e.g. `routes[2].upstream` or `upstreams.echo.targets[0].url`; "" for the whole file. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** An issue whose path is still a list of keys, so it can be looked up in the parsed document. */
export interface KeyedIssue {
  path: readonly PropertyKey[];
  message: string;
}

export function keyedIssues(error: z.ZodError): KeyedIssue[] {
  return error.issues.flatMap((issue): KeyedIssue[] => {
    // One issue per unknown key, pointing at the key itself: that is where the typo is.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown key' }));
    }
    return [{ path: issue.path, message: issue.message }];
  });
}

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && PLAIN_KEY.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** One line per issue, `file:line:column path: message`, the shape editors and CI logs turn into links. */
export function formatIssues(source: string, issues: readonly RouteFileIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.line === undefined ? source : `${source}:${issue.line}:${issue.column ?? 1}`;
      return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
    })
    .join('\n');
}

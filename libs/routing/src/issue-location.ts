import { isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * Where an issue's path is written in the source: the key of a map entry, the start of a list item,
 * or, for a key that is missing, the nearest enclosing entry that exists.
 */
export function locate(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): SourcePosition | undefined {
  let node: unknown = document.contents;
  let offset = startOf(node);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (pair === undefined) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && key < node.items.length) {
      node = node.items[key];
      offset = startOf(node) ?? offset;
    } else {
      break;
    }
  }
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function startOf(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}

/** True when the upgrade's path is one of `prefixes` or below it; the query string is not part of the path. */
export function isForeignUpgrade(url: string, prefixes: readonly string[] = []): boolean {
  const end = url.indexOf('?');
  const path = end === -1 ? url : url.slice(0, end);
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * A package's module, loaded at the first call rather than with the server: the clients of services that a
 * deployment may not use (MySQL when it runs on SQLite, Redis, SMTP) would otherwise cost every start their
 * heap and load time. The caller keeps the package's types with `import type * as Name from 'package'`.
 */
export function loadOnDemand<T>(packageName: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(packageName) as T;
}

import list from './common-passwords.json';

/**
 * The most common passwords of 8 or more characters, lower-cased, most common
 * first; `about` in the JSON file says where they come from. A JSON import, so
 * that tsc carries the list into every build.
 */
let passwords: Set<string> | undefined;

function load(): Set<string> {
  passwords ??= new Set(list.passwords);
  return passwords;
}

/** True when the password, ignoring case, is on the list of common passwords. */
export function isCommonPassword(password: string): boolean {
  return load().has(password.toLowerCase());
}

/** How many passwords the list holds. */
export function commonPasswordCount(): number {
  return load().size;
}

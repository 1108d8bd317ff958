export type Env = Record<string, string | undefined>;

/** Thrown for a missing or malformed setting; its message is the single line printed at start. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

const PLACEHOLDER_SECRETS = [/change[-_ ]?me/i, /^secret$/i, /^(test|dev|example|default)/i, /^(.)\1+$/];

/** Too short, too few distinct characters, or a placeholder: refused in production. */
export function isWeakSecret(value: string, minLength: number): boolean {
  if (value.length < minLength) return true;
  if (new Set(value).size < 8) return true;
  return PLACEHOLDER_SECRETS.some((pattern) => pattern.test(value));
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Typed reads of environment variables; a bad value throws a ConfigError naming the variable. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    throw new ConfigError(name, `must be true or false (got "${raw}")`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
    }
    return raw as T;
  }

  /** Seconds, or a number with a unit: 30s, 15m, 12h, 14d. */
  duration(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*([smhd]?)$/.exec(raw);
    if (!match) throw new ConfigError(name, `must be a duration such as 900, 15m, 12h or 14d (got "${raw}")`);
    const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1);
    if (seconds < min || seconds > max) throw new ConfigError(name, `must be between ${min}s and ${max}s (got ${seconds}s)`);
    return seconds;
  }

  list(name: string): string[] {
    const raw = this.optionalString(name);
    if (raw === undefined) return [];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }
}

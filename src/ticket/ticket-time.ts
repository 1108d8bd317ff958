import { ValidateBy, ValidationOptions } from 'class-validator';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The project's own time format (formatTime), in the server's time zone. */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** Which end of a validity a time stands for: a date alone means the first moment of that day, or for an end its last. */
export type Edge = 'start' | 'end';

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** What the tokens and both databases can hold, whatever the zone: nbf must not be negative, MySQL's DATETIME ends with 9999. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(9999, 0, 1);
const inRange = (date: Date | undefined) => (date && date.getTime() >= EARLIEST && date.getTime() < LATEST ? date : undefined);

function fieldsValid(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && hour <= 23 && minute <= 59 && second <= 59;
}

/** A local time that exists: not one skipped by a daylight-saving change. */
function localTime(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): Date | undefined {
  const date = new Date(year, month - 1, day, hour, minute, second, ms);
  return date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day && date.getHours() === hour && date.getMinutes() === minute
    ? date
    : undefined;
}

/**
 * A ticket's validStartTime or validEndTime: `YYYY-MM-DD` as the API document writes them (an end date is valid
 * through that whole day), `YYYY-MM-DD HH:mm:ss` in the server's time zone, or ISO 8601 with a zone; from the
 * year 2000 to 9998.
 */
export function parseTicketTime(text: string, edge: Edge): Date | undefined {
  return inRange(parseTime(text, edge));
}

function parseTime(text: string, edge: Edge): Date | undefined {
  const n = (part: string | undefined) => (part === undefined ? 0 : Number(part));
  let match = DATE.exec(text);
  if (match) {
    const [year, month, day] = [n(match[1]), n(match[2]), n(match[3])];
    if (!fieldsValid(year, month, day)) return undefined;
    return edge === 'start' ? localTime(year, month, day, 0, 0, 0, 0) : localTime(year, month, day, 23, 59, 59, 999);
  }
  match = LOCAL_TIME.exec(text);
  if (match) {
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(n);
    return fieldsValid(year, month, day, hour, minute, second) ? localTime(year, month, day, hour, minute, second, 0) : undefined;
  }
  match = ISO_TIME.exec(text);
  if (match) {
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(n);
    if (!fieldsValid(year, month, day, hour, minute, second)) return undefined;
    const ms = match[7] === undefined ? 0 : Number(match[7].padEnd(3, '0'));
    const zone = match[8];
    const offsetMinutes = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
  }
  return undefined;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** `YYYY-MM-DD` in the server's time zone, as the API document shows validStartTime and validEndTime. */
export function formatTicketDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A string parseTicketTime reads. */
export function IsTicketTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTicketTime',
      validator: {
        validate: (value) => typeof value === 'string' && parseTicketTime(value, 'start') !== undefined,
        defaultMessage: () => '$property must be YYYY-MM-DD, YYYY-MM-DD HH:mm:ss or ISO 8601 with a time zone',
      },
    },
    options,
  );
}

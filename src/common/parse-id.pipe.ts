import { Injectable, PipeTransform } from '@nestjs/common';
import { AppException } from './app.exception';

/** The largest id a column of ours holds (a signed 32-bit INT). */
export const MAX_ID = 2_147_483_647;
/** Canonical decimal only: Number() would also read `0x1`, `1e0`, ` 1`, `+1`, `1.0`, `0b1` as 1. */
const CANONICAL_ID = /^[1-9][0-9]{0,9}$/;

/** The id a text spells canonically, in range; undefined for anything else. */
export function idFromText(text: string): number | undefined {
  if (!CANONICAL_ID.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

/**
 * Path ids: a positive whole number in range, written canonically, else 400 — never `NaN` reaching a query.
 * It sees the text of the URL: the global ValidationPipe leaves path parameters alone (see validation.ts).
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown): number {
    const id = typeof value === 'string' ? idFromText(value) : undefined;
    if (id === undefined) throw new AppException('error.invalidId');
    return id;
  }
}

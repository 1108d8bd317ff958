import { Injectable, PipeTransform } from '@nestjs/common';
import { AppException } from './app.exception';

const MAX_ID = 2_147_483_647;

/**
 * Path ids: a positive whole number in range, else 400 — never `NaN` reaching a query.
 * The global ValidationPipe has already turned the text into a number for a `number` parameter.
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<string | number, number> {
  transform(value: string | number): number {
    const id = typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : value;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_ID) throw new AppException(400, 'error.invalidId');
    return id;
  }
}

import { Injectable, PipeTransform } from '@nestjs/common';
import { AppException } from './app.exception';

const MAX_ID = 2_147_483_647;

/** Path ids: a positive whole number in range, else 400 — never `NaN` reaching a query. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (typeof value !== 'string' || !/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_ID) {
      throw new AppException(400, 'error.invalidId');
    }
    return Number(value);
  }
}

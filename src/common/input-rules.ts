import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';

/**
 * How request fields are read the way clients really send them: HTML forms send an empty string for a field
 * left blank, the documents show numbers as strings, and query strings carry arrays in several spellings.
 * Used in every request DTO instead of class-validator's IsOptional.
 */

const isBlank = (value: unknown) => value === undefined || value === null || value === '';

/** Skips the field's rules when it is absent, null or "" (what the transforms below leave of a blank field). */
const SkipWhenBlank = () => ValidateIf((_, value) => !isBlank(value));

/**
 * An optional field: absent, null and "" all mean "not given". In a creation the default applies, in an
 * update the field keeps its value. For fields that cannot be emptied (names, keys, numbers, statuses).
 */
export function Optional(): PropertyDecorator {
  // The raw value decides: a @Type() conversion may already have turned "" into 0 or an invalid date.
  return applyDecorators(
    Transform(({ value, obj, key }) => (isBlank(obj[key]) ? undefined : value)),
    SkipWhenBlank(),
  );
}

/**
 * An optional field that can be emptied: null and "" mean "clear it", stored as NULL (so unique keys such as
 * email and phone are not hit by several empty values), and answered as "". In a creation it is the same as absent.
 */
export function Clearable(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value, obj, key }) => (obj[key] === '' || obj[key] === null ? null : value)),
    SkipWhenBlank(),
  );
}

/** Canonical decimal integers only: "1e1", "0x1", " 1" or "1.0" are not numbers here. */
const INTEGER_TEXT = /^-?(0|[1-9][0-9]{0,15})$/;

/**
 * An integer that may come as a number or as a string of decimal digits (query strings always, JSON bodies
 * where the documents show numbers as strings). Anything else is left as it is, for @IsInt to refuse.
 */
export function IntLike(): PropertyDecorator {
  const toInt = (value: unknown) => (typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : value);
  return Transform(({ value }) => (Array.isArray(value) ? value.map(toInt) : toInt(value)));
}

/**
 * An optional list of strings from a query string or a body: repeated keys (`a=x&a=y`), brackets (`a[]=x&a[]=y`,
 * folded by parseQueryString), a comma-separated value (`a=x,y`) or a JSON array. Absent or null, it is not
 * given; empty items are dropped, so `a=` is given and is the empty list.
 */
export function CommaList(): PropertyDecorator {
  const toList = (value: unknown) => {
    const items = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) return value;
    return items
      .flatMap((item: string) => item.split(','))
      .map((item) => item.trim())
      .filter((item) => item !== '');
  };
  return applyDecorators(
    Transform(({ value }) => toList(value)),
    ValidateIf((_, value) => value !== undefined && value !== null),
  );
}

import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * For search filters: a control character is refused (400) rather than searched for. SQLite reads a
 * LIKE pattern up to its first NUL, so `%00` would otherwise match every row there and none on MySQL.
 */
export function NoControlChars(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noControlChars',
      validator: {
        validate: (value) => typeof value !== 'string' || !CONTROL_CHARS.test(value),
        defaultMessage: buildMessage((each) => `${each}$property must not contain control characters`, options),
      },
    },
    options,
  );
}

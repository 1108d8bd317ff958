import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException } from './app.exception';

export interface FieldError {
  field: string;
  messages: string[];
}

/** class-validator's nested errors as a flat list: `{field: "a.b", messages}`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Path parameters reach their own pipe (ParseIdPipe) as the text of the URL: the stock pipe would first turn
 * a `number` parameter into Number(text), which reads `0x1`, `1e0`, ` 1` or `1.0` as 1.
 */
class RawPathValidationPipe extends ValidationPipe {
  protected override transformPrimitive(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'param' ? value : super.transformPrimitive(value, metadata);
  }
}

/** Unknown fields are refused, types are converted only where a DTO says so. */
export function createValidationPipe(): ValidationPipe {
  return new RawPathValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new AppException(400, 'error.validation', { errors: flattenValidationErrors(errors) }),
  });
}

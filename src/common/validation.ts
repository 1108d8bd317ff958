import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** Unknown fields are refused, types are converted only where a DTO says so. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new AppException(400, 'error.validation', { errors: flattenValidationErrors(errors) }),
  });
}

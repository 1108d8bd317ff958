import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppException } from './app.exception';
import { flattenValidationErrors } from './validation';

/** Validates input that does not pass through the global pipe (a GET body), with the same rules and answer. */
export async function validated<T extends object>(type: new () => T, plain: unknown): Promise<T> {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw new AppException('error.validation');
  }
  const instance = plainToInstance(type, plain);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new AppException('error.validation', { errors: flattenValidationErrors(errors) });
  return instance;
}

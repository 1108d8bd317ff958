import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, ValidationArguments } from 'class-validator';
import { AppException } from './app.exception';
import type { BrokenRule, FieldRules } from './validation-messages';

/** Rules about what a value is: when one fails, the others (length, range, format) say nothing useful. */
const TYPE_RULES = new Set(['isString', 'isInt', 'isNumber', 'isNumberString', 'isBoolean', 'isDate', 'isArray', 'isObject']);

/** The broken rules worth telling: the type rule alone when the type is wrong. */
function mostTelling(rules: BrokenRule[]): BrokenRule[] {
  const typeRules = rules.filter((broken) => TYPE_RULES.has(broken.rule));
  return typeRules.length > 0 ? typeRules : rules;
}

/** The decorator behind a broken constraint of `target.property`, to read its arguments. */
function constraintOf(target: object | undefined, property: string, name: string) {
  if (!target) return undefined;
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(target.constructor, '', false, false);
  for (const metadata of metadatas) {
    if (metadata.propertyName !== property) continue;
    const constraint = storage.getTargetValidatorConstraints(metadata.constraintCls).find((c) => (c.name ?? metadata.type) === name);
    if (constraint) return { metadata, constraint };
  }
  return undefined;
}

/** The rules one property broke, each array element named when a rule applies to each element. */
function brokenRules(error: ValidationError): BrokenRule[] {
  const names = Object.keys(error.constraints ?? {});
  if (names.includes('whitelistValidation')) return [{ rule: 'whitelistValidation' }];
  if (names.includes('unknownValue')) return [{ rule: 'unknownValue' }];
  // Missing: say only that it is required, not the rules a value would have to follow.
  if (error.value === undefined || error.value === null) return [{ rule: 'required' }];
  const whole: BrokenRule[] = [];
  const perElement = new Map<number, BrokenRule[]>();
  for (const name of names) {
    const found = constraintOf(error.target, error.property, name);
    const args = found?.metadata.constraints ?? [];
    if (!found || !found.metadata.each || !Array.isArray(error.value)) {
      // A rule for each element says nothing when the value is not even the array it should be.
      if (!(found?.metadata.each && names.includes('isArray'))) whole.push({ rule: name, args });
      continue;
    }
    const validationArguments: ValidationArguments = {
      targetName: error.target?.constructor.name ?? '',
      property: error.property,
      object: error.target ?? {},
      value: error.value,
      constraints: args,
    };
    const failing = error.value.flatMap((element: unknown, index: number) => (found.constraint.instance.validate(element, validationArguments) ? [] : [index]));
    // The whole array broke it when no single element does.
    if (failing.length === 0) whole.push({ rule: name, args });
    for (const index of failing) perElement.set(index, [...(perElement.get(index) ?? []), { rule: name, args, index }]);
  }
  const elements = [...perElement.entries()].sort(([a], [b]) => a - b).flatMap(([, rules]) => mostTelling(rules));
  return [...mostTelling(whole), ...elements];
}

/** class-validator's nested errors as a flat list `{field: "a.b", rules}`, rendered in the answer's language by the filter. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldRules[] {
  return errors.flatMap((error) => {
    const field = error.property === undefined ? '' : parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints && Object.keys(error.constraints).length > 0 ? [{ field, rules: brokenRules(error) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** A 400 naming one field and the rule it broke; the message is rendered in the answer's language. */
export function invalidInput(field: string, rule: string, ...args: unknown[]): AppException {
  return new AppException('error.validation', { errors: [{ field, rules: [{ rule, args }] }] });
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
    // The target and value let the messages name the rule broken and the array element; they never reach the client.
    validationError: { target: true, value: true },
    exceptionFactory: (errors) => new AppException('error.validation', { errors: flattenValidationErrors(errors) }),
  });
}

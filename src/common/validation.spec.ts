import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsEmail, IsInt, IsOptional, IsString, MaxLength, Min, validate } from 'class-validator';
import { flattenValidationErrors } from './validation';

class Sample {
  @IsString() @MaxLength(8) password!: string;
  @IsOptional() @IsEmail() @MaxLength(20) email?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(3) @IsInt({ each: true }) @Min(1, { each: true }) ids?: number[];
}

async function rulesOf(plain: object) {
  const errors = await validate(plainToInstance(Sample, plain), { whitelist: true, forbidNonWhitelisted: true });
  return flattenValidationErrors(errors);
}

describe('flattenValidationErrors', () => {
  it('says only "required" for a missing field, whatever its other rules', async () => {
    assert.deepEqual(await rulesOf({}), [{ field: 'password', rules: [{ rule: 'required' }] }]);
    assert.deepEqual(await rulesOf({ password: null }), [{ field: 'password', rules: [{ rule: 'required' }] }]);
  });

  it('says only the type when the type is wrong, and every other rule with its arguments', async () => {
    assert.deepEqual(await rulesOf({ password: 12 }), [{ field: 'password', rules: [{ rule: 'isString', args: [] }] }]);
    const [email] = await rulesOf({ password: 'x', email: 'not-an-email-'.repeat(3) });
    assert.deepEqual(
      email.rules.map((r) => [r.rule, r.args]).sort(),
      [
        ['isEmail', [undefined]],
        ['maxLength', [20]],
      ].sort(),
    );
  });

  it('names the array elements that break a rule applied to each, once per element', async () => {
    assert.deepEqual(await rulesOf({ password: 'x', ids: [1, 0, 'two'] }), [
      {
        field: 'ids',
        rules: [
          { rule: 'min', args: [1], index: 1 },
          { rule: 'isInt', args: [], index: 2 },
        ],
      },
    ]);
    assert.deepEqual(await rulesOf({ password: 'x', ids: 'all' }), [{ field: 'ids', rules: [{ rule: 'isArray', args: [] }] }]);
  });

  it('names unknown fields', async () => {
    assert.deepEqual(await rulesOf({ password: 'x', isAdmin: true }), [{ field: 'isAdmin', rules: [{ rule: 'whitelistValidation' }] }]);
  });
});

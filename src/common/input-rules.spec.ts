import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsString, validateSync } from 'class-validator';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Clearable, CommaList, IntLike, Optional } from './input-rules';
import { parseQueryString } from './query-string';

class Form {
  @Optional() @IsString() name?: string;
  @Clearable() @IsString() email?: string | null;
  @Optional() @IntLike() @IsInt() sort?: number;
  @CommaList() @IsString({ each: true }) codes?: string[];
}

const read = (plain: Record<string, unknown>) => {
  const form = plainToInstance(Form, plain);
  // Absent and undefined fields alike are left out, to compare what was given.
  const given = Object.fromEntries(Object.entries(form).filter(([, value]) => value !== undefined));
  return { form: given, errors: validateSync(form).map((e) => e.property) };
};

describe('input rules', () => {
  it('takes "" and null as absent in an optional field, and as "clear" in a clearable one', () => {
    assert.deepEqual(read({ name: '', email: '', sort: '' }), { form: { email: null }, errors: [] });
    assert.deepEqual(read({ name: null, email: null, sort: null }), { form: { email: null }, errors: [] });
    assert.deepEqual(read({ name: 'x', email: 'a@b.c' }).form, { name: 'x', email: 'a@b.c' });
  });

  it('reads canonical decimal strings as integers and leaves anything else to be refused', () => {
    assert.deepEqual(read({ sort: '12' }), { form: { sort: 12 }, errors: [] });
    assert.deepEqual(read({ sort: -3 }), { form: { sort: -3 }, errors: [] });
    for (const sort of ['1e1', '0x1', ' 1', '1.0', '01', true, 'abc']) assert.deepEqual(read({ sort }).errors, ['sort'], String(sort));
  });

  it('reads a list from repeated values, commas or a JSON array; `a=` is the empty list', () => {
    assert.deepEqual(read({ codes: 'a,b' }).form, { codes: ['a', 'b'] });
    assert.deepEqual(read({ codes: ['a', 'b,c'] }).form, { codes: ['a', 'b', 'c'] });
    assert.deepEqual(read({ codes: '' }).form, { codes: [] });
    assert.deepEqual(read({}).form, {});
  });
});

describe('parseQueryString', () => {
  it('folds a[] and a[0] into a, as repeated keys', () => {
    assert.deepEqual({ ...parseQueryString('a[]=x&a[]=y&b=1') }, { a: ['x', 'y'], b: '1' });
    assert.deepEqual({ ...parseQueryString('a%5B%5D=x') }, { a: ['x'] });
    assert.deepEqual({ ...parseQueryString('a[0]=x&a[1]=y') }, { a: ['x', 'y'] });
    assert.deepEqual({ ...parseQueryString('a=x&a=y&a[]=z') }, { a: ['x', 'y', 'z'] });
    assert.deepEqual({ ...parseQueryString('a[b]=x&q=%20+1') }, { 'a[b]': 'x', q: '  1' });
  });

  it('keeps __proto__ an ordinary key of an object without a prototype', () => {
    const query = parseQueryString('__proto__[]=x&__proto__=y');
    assert.equal(Object.getPrototypeOf(query), null);
    assert.deepEqual(query.__proto__, ['x', 'y']);
  });
});

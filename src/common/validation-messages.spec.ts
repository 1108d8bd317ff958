import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { FORMATS, localizeErrorData, renderRule, RULE_TEMPLATES } from './validation-messages';

/** Every compiled module of src that declares validation rules, so that their decorators have run. */
function loadModulesWithRules(dir = join(__dirname, '..')): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) loadModulesWithRules(path);
    else if (
      entry.name.endsWith('.js') &&
      !entry.name.endsWith('.spec.js') &&
      entry.name !== 'main.js' &&
      readFileSync(path, 'utf8').includes('class-validator')
    ) {
      // Loaded for the decorators' side effect on class-validator's metadata, by a path known only at run time.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path);
    }
  }
}

function allRules(): Array<{ where: string; rule: string; metadata: ValidationMetadata }> {
  loadModulesWithRules();
  const storage = getMetadataStorage();
  const byTarget = (storage as unknown as { validationMetadatas: Map<unknown, ValidationMetadata[]> }).validationMetadatas;
  const rules: Array<{ where: string; rule: string; metadata: ValidationMetadata }> = [];
  for (const metadatas of byTarget.values()) {
    for (const metadata of metadatas) {
      if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION) continue;
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        const target = typeof metadata.target === 'string' ? metadata.target : metadata.target.name;
        rules.push({ where: `${target}.${metadata.propertyName}`, rule: constraint.name ?? metadata.type, metadata });
      }
    }
  }
  return rules;
}

describe('validation messages', () => {
  it('has a template in both languages for every constraint a DTO uses', () => {
    const rules = allRules();
    assert.ok(rules.length > 50, 'the DTOs were loaded');
    const missing = rules.filter(({ rule }) => !RULE_TEMPLATES[rule]).map(({ where, rule }) => `${where}: ${rule}`);
    assert.deepEqual(missing, [], 'add these to RULE_TEMPLATES in validation-messages.ts');
  });

  it('describes every pattern a DTO matches', () => {
    const undescribed = allRules()
      .filter(({ rule, metadata }) => rule === 'matches' && !FORMATS[(metadata.constraints[0] as RegExp).source])
      .map(({ where, metadata }) => `${where}: ${String(metadata.constraints[0])}`);
    assert.deepEqual(undescribed, [], 'add these to FORMATS in validation-messages.ts');
  });

  it('renders each template in Chinese and in English, naming the field', () => {
    for (const [rule, templates] of Object.entries(RULE_TEMPLATES)) {
      assert.equal(templates.length, 2, rule);
      const zh = renderRule('field', { rule, args: [1, 2] }, 'zh');
      const en = renderRule('field', { rule, args: [1, 2] }, 'en');
      assert.match(zh, /[\u4e00-\u9fff]/, `${rule} in Chinese: ${zh}`);
      assert.doesNotMatch(en, /[\u4e00-\u9fff]/, `${rule} in English: ${en}`);
      if (rule !== 'unknownValue') assert.match(`${zh}\n${en}`, /field/, rule);
    }
  });

  it('names the limit, the allowed values and the array element', () => {
    assert.equal(renderRule('nickname', { rule: 'maxLength', args: [64] }, 'en'), 'nickname must be at most 64 characters long');
    assert.equal(renderRule('nickname', { rule: 'maxLength', args: [64] }, 'zh'), 'nickname 最多 64 个字符');
    assert.equal(renderRule('sex', { rule: 'isIn', args: [['0', '1', '2']] }, 'en'), 'sex must be one of: 0, 1, 2');
    assert.equal(renderRule('dept_ids', { rule: 'min', args: [1], index: 3 }, 'en'), 'dept_ids[3] must be at least 1');
    assert.equal(renderRule('phone', { rule: 'matches', args: [/^\+?[0-9][0-9 -]{2,30}$/] }, 'zh'), 'phone 只能包含数字、空格或连字符');
  });

  it('renders rules as messages and leaves messages written elsewhere alone', () => {
    const data = {
      errors: [
        { field: 'password', rules: [{ rule: 'required' }] },
        { field: 'x', messages: ['as is'] },
      ],
    };
    assert.deepEqual(localizeErrorData(data, 'zh'), {
      errors: [
        { field: 'password', messages: ['password 不能为空'] },
        { field: 'x', messages: ['as is'] },
      ],
    });
    assert.deepEqual(localizeErrorData(data, 'en'), {
      errors: [
        { field: 'password', messages: ['password is required'] },
        { field: 'x', messages: ['as is'] },
      ],
    });
    assert.equal(localizeErrorData(null, 'en'), null);
    assert.deepEqual(localizeErrorData({ retryAfter: 5 }, 'en'), { retryAfter: 5 });
  });
});

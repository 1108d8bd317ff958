import type { Lang } from './messages';

/**
 * One broken rule: a class-validator constraint name (`isString`, `maxLength`, …) or one of ours,
 * with the constraint's arguments. `index` names the array element that broke it.
 */
export interface BrokenRule {
  rule: string;
  args?: readonly unknown[];
  index?: number;
}

/** What the exception carries: rendered into `{field, messages}` in the answer's language. */
export interface FieldRules {
  field: string;
  rules: BrokenRule[];
}

export interface FieldMessages {
  field: string;
  messages: string[];
}

type Template = (subject: string, args: readonly unknown[]) => string;

const listOf = (values: unknown): string => (Array.isArray(values) ? values.map(String).join(', ') : String(values));
const formatOf = (pattern: unknown): readonly [string, string] | undefined => (pattern instanceof RegExp ? FORMATS[pattern.source] : undefined);

/**
 * The text of each rule, [Chinese, English]. Every constraint a DTO uses needs an entry here
 * (validation-messages.spec.ts fails otherwise): clients show these texts to people.
 */
export const RULE_TEMPLATES: Record<string, readonly [Template, Template]> = {
  required: [(s) => `${s} 不能为空`, (s) => `${s} is required`],
  isDefined: [(s) => `${s} 不能为空`, (s) => `${s} is required`],
  isNotEmpty: [(s) => `${s} 不能为空`, (s) => `${s} must not be empty`],
  whitelistValidation: [(s) => `不支持的字段 ${s}`, (s) => `${s} is not an accepted field`],
  unknownValue: [() => '请求体必须是 JSON 对象', () => 'The request body must be a JSON object'],
  isObject: [(s) => `${s} 必须是 JSON 对象`, (s) => `${s} must be a JSON object`],
  isString: [(s) => `${s} 必须是字符串`, (s) => `${s} must be a string`],
  isInt: [(s) => `${s} 必须是整数`, (s) => `${s} must be a whole number`],
  isNumber: [(s) => `${s} 必须是数字`, (s) => `${s} must be a number`],
  isNumberString: [(s) => `${s} 必须是数字`, (s) => `${s} must be a number`],
  isBoolean: [(s) => `${s} 必须是 true 或 false`, (s) => `${s} must be true or false`],
  isDate: [(s) => `${s} 必须是日期时间（ISO 8601）`, (s) => `${s} must be a date and time (ISO 8601)`],
  isArray: [(s) => `${s} 必须是数组`, (s) => `${s} must be an array`],
  isEmail: [(s) => `${s} 必须是邮箱地址`, (s) => `${s} must be an email address`],
  isIn: [(s, [values]) => `${s} 必须是以下值之一：${listOf(values)}`, (s, [values]) => `${s} must be one of: ${listOf(values)}`],
  isEnum: [(s) => `${s} 不是允许的值`, (s) => `${s} is not one of the allowed values`],
  min: [(s, [min]) => `${s} 不能小于 ${min}`, (s, [min]) => `${s} must be at least ${min}`],
  max: [(s, [max]) => `${s} 不能大于 ${max}`, (s, [max]) => `${s} must be at most ${max}`],
  minLength: [(s, [min]) => `${s} 至少 ${min} 个字符`, (s, [min]) => `${s} must be at least ${min} characters long`],
  maxLength: [(s, [max]) => `${s} 最多 ${max} 个字符`, (s, [max]) => `${s} must be at most ${max} characters long`],
  isLength: [(s, [min, max]) => `${s} 长度必须在 ${min} 到 ${max} 个字符之间`, (s, [min, max]) => `${s} must be ${min} to ${max} characters long`],
  arrayMinSize: [(s, [min]) => `${s} 至少 ${min} 项`, (s, [min]) => `${s} must hold at least ${min} items`],
  arrayMaxSize: [(s, [max]) => `${s} 最多 ${max} 项`, (s, [max]) => `${s} must hold at most ${max} items`],
  matches: [
    (s, [pattern]) => `${s} ${formatOf(pattern)?.[0] ?? '格式不正确'}`,
    (s, [pattern]) => `${s} ${formatOf(pattern)?.[1] ?? 'is not in the expected format'}`,
  ],
  /** A path or body id: canonical decimal digits from 1. */
  id: [(s) => `${s} 必须是 ID（从 1 开始的整数）`, (s) => `${s} must be an id (a whole number from 1)`],
  /** List filters (no-control-chars.ts): a NUL would match every row on SQLite. */
  noControlChars: [(s) => `${s} 不能包含控制字符`, (s) => `${s} must not contain control characters`],
  /** validStartTime and validEndTime of a gateway ticket (ticket-time.ts). */
  isTicketTime: [
    (s) => `${s} 必须是日期 YYYY-MM-DD、时间 YYYY-MM-DD HH:mm:ss 或带时区的 ISO 8601`,
    (s) => `${s} must be YYYY-MM-DD, YYYY-MM-DD HH:mm:ss or ISO 8601 with a time zone`,
  ],
  inFuture: [(s) => `${s} 必须晚于当前时间`, (s) => `${s} must be in the future`],
  laterThan: [(s, [other]) => `${s} 必须晚于 ${other}`, (s, [other]) => `${s} must be later than ${other}`],
  /** The api/v2 family (issue 13): a verification code that is wrong, expired, used or out of tries. */
  verifyCode: [(s) => `${s} 错误或已失效`, (s) => `${s} is wrong or no longer valid`],
  /** A name, phone or email another user has. */
  taken: [(s) => `${s} 已被使用`, (s) => `${s} is taken`],
  /** One of two fields is required (phone or email; password or verifiable_code). */
  requiredOneOf: [(s, [other]) => `${s} 和 ${other} 必须提供一个`, (s, [other]) => `one of ${s} and ${other} is required`],
  onlyOneOf: [(s, [other]) => `${s} 和 ${other} 只能提供一个`, (s, [other]) => `only one of ${s} and ${other} may be given`],
  commonPassword: [(s) => `${s} 过于常见`, (s) => `${s} is too common`],
  passwordTooLong: [(s) => `${s} 超过 72 字节`, (s) => `${s} is longer than 72 bytes`],
  /** expiresAt of generateJwt / getJwt (mint.dto.ts). */
  isExpiresAt: [(s) => `${s} 必须是 Unix 秒数或 {seconds, nanos}`, (s) => `${s} must be Unix seconds or {seconds, nanos}`],
};

/**
 * What a `matches` rule asks for, by the pattern's source, [Chinese, English]: a regular
 * expression means nothing to the person filling in the form.
 */
export const FORMATS: Record<string, readonly [string, string]> = {
  // PERMISSION_CODE (permission.dto.ts) and ROLE_KEY (role.dto.ts).
  '^[A-Za-z][A-Za-z0-9:_.-]{0,63}$': [
    '必须以字母开头，只含字母、数字和 : _ . -（最多 64 个字符）',
    'must start with a letter and contain only letters, digits and : _ . - (at most 64)',
  ],
  '^[A-Za-z][A-Za-z0-9_:.-]{0,63}$': [
    '必须以字母开头，只含字母、数字和 _ : . -（最多 64 个字符）',
    'must start with a letter and contain only letters, digits and _ : . - (at most 64)',
  ],
  // USERNAME (user.dto.ts), checked after NFKC normalisation.
  '^[A-Za-z0-9_.@-]{3,64}$': ['必须是 3 到 64 个字母、数字或 _ . - @', 'must be 3 to 64 letters, digits or _ . - @'],
  // avatar and phone (user.dto.ts).
  '^(https?:\\/\\/|\\/)[^\\s]*$': ['必须是 http(s) 地址或以 / 开头的路径', 'must be an http(s) URL or a path'],
  '^\\+?[0-9][0-9 -]{2,30}$': ['只能包含数字、空格或连字符', 'must be digits, spaces or dashes'],
  // A mainland China mobile number (api-v2 phone.ts).
  '^(?:\\+86)?1[3-9]\\d{9}$': ['必须是中国大陆手机号（可带 +86）', 'must be a mainland China mobile number (optionally +86)'],
  // action (audit.dto.ts).
  '^[a-z_]{1,32}$': ['只能包含小写字母和 _（最多 32 个字符）', 'must be lowercase letters and _ (at most 32)'],
};

export function renderRule(field: string, broken: BrokenRule, lang: Lang): string {
  const subject = broken.index === undefined ? field : `${field}[${broken.index}]`;
  const templates = RULE_TEMPLATES[broken.rule];
  // A rule without a template is a bug the unit spec catches; still say which field and rule.
  if (!templates) return lang === 'en' ? `${subject} breaks the rule ${broken.rule}` : `${subject} 不符合规则 ${broken.rule}`;
  return templates[lang === 'en' ? 1 : 0](subject, broken.args ?? []);
}

/** `data.errors[].rules` of a validation error, rendered as `messages` in the answer's language. */
export function localizeErrorData(data: unknown, lang: Lang): unknown {
  const errors = (data as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return data;
  return {
    ...(data as object),
    errors: errors.map((entry: FieldRules | FieldMessages) =>
      'rules' in entry ? { field: entry.field, messages: entry.rules.map((broken) => renderRule(entry.field, broken, lang)) } : entry,
    ),
  };
}

import { isEmail } from 'class-validator';

/** A mainland China mobile number, with or without +86. */
export const MAINLAND_PHONE = /^(?:\+86)?1[3-9]\d{9}$/;

/** The 11 digits a phone number is stored and compared as; undefined when it is not a mainland mobile number. */
export function mainlandPhone(value: string): string | undefined {
  const trimmed = value.trim();
  return MAINLAND_PHONE.test(trimmed) ? trimmed.slice(-11) : undefined;
}

/** Email addresses are stored and compared in lower case; undefined when it is not one (a domain with a dot is required). */
export function normalEmail(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed.length <= 254 && isEmail(trimmed) ? trimmed.toLowerCase() : undefined;
}

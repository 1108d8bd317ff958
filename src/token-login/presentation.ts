import { Lang, preferredLanguage } from '../common/messages';

export type Theme = 'light' | 'dark';

/** How the partner wants the console shown; carried to the landing page, never trusted for anything else. */
export interface Presentation {
  theme: Theme;
  lang: Lang;
  disableUserMark: 0 | 1;
}

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/;

/** The query's value when it is one plain string (a repeated parameter is not). */
function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim() : undefined;
}

/** `defaultLang` when it names a language we speak (`en`, `en-US`, `zh_CN`, ...), else what Accept-Language prefers. */
export function requestedLanguage(defaultLang: unknown, acceptLanguage: string | undefined): Lang {
  const tag = single(defaultLang);
  if (tag && tag.length <= 35 && LANGUAGE_TAG.test(tag)) {
    const primary = tag.split(/[-_]/)[0].toLowerCase();
    if (primary === 'en' || primary === 'zh') return primary;
  }
  return preferredLanguage(acceptLanguage);
}

/** The query's `defaultClrTheme`, `defaultLang` and `disableUserMark`, each falling back to its default when it is anything unexpected. */
export function presentationOf(query: Record<string, unknown>, acceptLanguage: string | undefined): Presentation {
  const theme = single(query.defaultClrTheme)?.toLowerCase();
  const mark = single(query.disableUserMark)?.toLowerCase();
  return {
    theme: theme === 'dark' ? 'dark' : 'light',
    lang: requestedLanguage(query.defaultLang, acceptLanguage),
    disableUserMark: mark === '1' || mark === 'true' ? 1 : 0,
  };
}

/**
 * Where the browser goes after a sign-in: the partner's configured landing URL, with the one-time code and
 * the presentation. Nothing of the request but these normalised values reaches it, so no parameter can
 * send the browser elsewhere.
 */
export function landingLocation(landingUrl: string, code: string, presentation: Presentation): string {
  const url = new URL(landingUrl);
  url.searchParams.set('code', code);
  url.searchParams.set('theme', presentation.theme);
  url.searchParams.set('lang', presentation.lang);
  url.searchParams.set('disableUserMark', String(presentation.disableUserMark));
  return url.href;
}

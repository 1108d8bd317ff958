import { AppException } from '../common/app.exception';

/**
 * Why a partner sign-in was refused: written to the audit log (`sso_refused`), never shown. The page says
 * only that the link is invalid or expired, whatever the reason.
 */
export type SsoRefusalReason =
  | 'missing_token'
  | 'token_too_long'
  | 'malformed'
  | 'forbidden_header'
  | 'unknown_partner'
  | 'no_default_partner'
  | 'partner_disabled'
  | 'wrong_algorithm'
  | 'bad_signature'
  | 'no_time'
  | 'bad_time'
  | 'expired'
  | 'future'
  | 'no_subject'
  | 'user_not_found'
  | 'user_disabled'
  | 'replay';

/** The request itself is broken (400); every other refusal is about the identity it claims (401). */
const MALFORMED: ReadonlySet<SsoRefusalReason> = new Set(['missing_token', 'token_too_long', 'malformed']);

export class SsoRefusal extends AppException {
  constructor(
    readonly reason: SsoRefusalReason,
    /** What is known of the attempt, for the audit log. */
    readonly context: { partnerId?: number; userId?: number } = {},
  ) {
    super(MALFORMED.has(reason) ? 'error.ssoLinkMalformed' : 'error.ssoLinkInvalid');
  }
}

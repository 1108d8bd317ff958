import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { MintedSessionType, RevokeReason } from '../session/entities/session.entity';
import type { SsoRefusalReason } from '../token-login/sso-refusal';

/** A password or verification-code login (v1 and api/v2): accepted, refused, or refused by the throttle before any check. */
export type LoginResult = 'ok' | 'failed' | 'throttled';
/**
 * A refresh, as its answer says: ok; missing (a copy of the token absent), mismatch (the cookie and the header
 * differ), invalid (unknown, expired, revoked, of a disabled user), binding (another client than the login's:
 * the session ends), raced (a concurrent refresh with the same token won), reuse (an old token again: the
 * session ends).
 */
export type RefreshResult = 'ok' | 'missing' | 'mismatch' | 'invalid' | 'binding' | 'raced' | 'reuse';
export type TicketChange = 'created' | 'updated' | 'rotated' | 'deleted';
export type SsoLoginResult = 'ok' | SsoRefusalReason;

/** A counter's children by label values, bound once: a count is then one Map read and an addition. */
class BoundCounter<L extends string> {
  private readonly children = new Map<string, Counter.Internal>();

  constructor(readonly counter: Counter) {}

  inc(value: L, by = 1): void {
    let child = this.children.get(value);
    if (!child) {
      child = this.counter.labels(value);
      this.children.set(value, child);
    }
    child.inc(by);
  }
}

function counter<L extends string>(name: string, help: string, label: string, known: readonly L[]): BoundCounter<L> {
  // Registered by MetricsService in its one registry; here in none, so that tests can make a Metrics of their own.
  const bound = new BoundCounter<L>(new Counter({ name, help, labelNames: [label], registers: [] }));
  // Present at 0 from the start: a rate over a series that appears only at its first event misses that event.
  for (const value of known) bound.counter.labels(value).inc(0);
  return bound;
}

/**
 * What the services count, each where its outcome is decided: one method per event, no prom-client call
 * anywhere else. Counts while /metrics is off too; that costs an addition per login, not per request.
 */
@Injectable()
export class Metrics {
  private readonly logins = counter<LoginResult>('identity_logins_total', 'Password and verification-code logins, by result', 'result', [
    'ok',
    'failed',
    'throttled',
  ]);
  private readonly refreshes = counter<RefreshResult>('identity_refreshes_total', 'Session refreshes (token rotations), by result', 'result', [
    'ok',
    'missing',
    'mismatch',
    'invalid',
    'binding',
    'raced',
    'reuse',
  ]);
  private readonly revocations = counter<RevokeReason>('identity_revocations_total', 'Sessions ended, by reason', 'reason', [
    'logout',
    'refresh_reuse',
    'client_mismatch',
    'kickout',
    'disabled',
    'deleted',
    'password_changed',
  ]);
  private readonly mints = counter<MintedSessionType>('identity_tokens_minted_total', 'Tokens minted, by type (minted for a subject, personal)', 'type', [
    'minted',
    'personal',
  ]);
  private readonly ssoLogins = counter<SsoLoginResult>(
    'identity_sso_logins_total',
    'Partner sign-ins (tokenLogin.do): ok, or the reason of the refusal',
    'result',
    ['ok'],
  );
  private readonly ticketChanges = counter<TicketChange>('identity_ticket_changes_total', 'API ticket changes, by kind', 'change', [
    'created',
    'updated',
    'rotated',
    'deleted',
  ]);

  login(result: LoginResult): void {
    this.logins.inc(result);
  }

  refresh(result: RefreshResult): void {
    this.refreshes.inc(result);
  }

  /** Sessions that ended (counted once their transaction has committed). */
  revoked(reason: RevokeReason, sessions = 1): void {
    if (sessions > 0) this.revocations.inc(reason, sessions);
  }

  minted(type: MintedSessionType): void {
    this.mints.inc(type);
  }

  ssoLogin(result: SsoLoginResult): void {
    this.ssoLogins.inc(result);
  }

  ticketChanged(change: TicketChange): void {
    this.ticketChanges.inc(change);
  }

  /** For MetricsService's registry. */
  counters(): Counter[] {
    return [this.logins, this.refreshes, this.revocations, this.mints, this.ssoLogins, this.ticketChanges].map((bound) => bound.counter);
  }
}

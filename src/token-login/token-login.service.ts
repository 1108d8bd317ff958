import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { ClientInfo } from '../session/client-info';
import { IssuedTokens, SessionIssuer } from '../session/session-issuer.service';
import { Transactions } from '../database/transactions';
import { Metrics } from '../metrics/metrics';
import { User, USER_STATUS_NORMAL } from '../user/entities/user.entity';
import { LoginCodeStore } from './login-code.store';
import { PartnerService } from './partner.service';
import { checkFreshness, issuerOf, parsePartnerToken, replayKey, subjectOf, verifyPartnerSignature } from './partner-token';
import { landingLocation, presentationOf } from './presentation';
import { SsoRefusal } from './sso-refusal';
import { TokenUseStore } from './token-use.store';

/** How often used tokens and untraded codes that can no longer be accepted are deleted. */
const PRUNE_EVERY_MS = 60_000;

/** A partner sign-in that was accepted: the session's tokens, and where the browser goes with its one-time code. */
export interface SignedIn {
  userId: number;
  partnerId: number;
  tokens: IssuedTokens;
  location: string;
}

/**
 * GET /account/tokenLogin.do: a partner's signed token logs its user in (the partner document's
 * `{payload: {email}, time}`), and POST /auth/exchange trades the code the browser landed with.
 */
@Injectable()
export class TokenLoginService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TokenLoginService.name);
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly transactions: Transactions,
    private readonly partners: PartnerService,
    private readonly tokenUses: TokenUseStore,
    private readonly codes: LoginCodeStore,
    private readonly sessions: SessionIssuer,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.pruneTimer = setInterval(() => void this.prune(new Date()), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * Checks the token, in this order: its form, its partner (by `iss`, or the default one), the signature
   * with that partner's key and algorithm only, its age, the user it names; then spends it (once only),
   * opens the session and keeps its tokens under a one-time code. A refusal (SsoRefusal) stores nothing.
   */
  async signIn(query: Record<string, unknown>, client: ClientInfo, acceptLanguage: string | undefined): Promise<SignedIn> {
    let signedIn: SignedIn;
    try {
      signedIn = await this.checkAndOpen(query, client, acceptLanguage);
    } catch (error) {
      if (error instanceof SsoRefusal) this.metrics.ssoLogin(error.reason);
      throw error;
    }
    this.metrics.ssoLogin('ok');
    return signedIn;
  }

  private async checkAndOpen(query: Record<string, unknown>, client: ClientInfo, acceptLanguage: string | undefined): Promise<SignedIn> {
    const now = new Date();
    const token = query.userToken;
    const parsed = parsePartnerToken(token);
    const issuer = issuerOf(parsed.claims);
    const partner = await this.partners.forIssuer(issuer);
    if (!partner) throw new SsoRefusal(issuer === undefined ? 'no_default_partner' : 'unknown_partner');
    const context = { partnerId: partner.id };
    if (!partner.enabled) throw new SsoRefusal('partner_disabled', context);
    try {
      verifyPartnerSignature(token as string, parsed, partner.key);
      checkFreshness(parsed.claims, now.getTime(), partner.maxTokenAge);
      const user = await this.userNamed(subjectOf(parsed.claims));
      if (!user) throw new SsoRefusal('user_not_found');
      if (user.status !== USER_STATUS_NORMAL) throw new SsoRefusal('user_disabled', { userId: user.id });

      await this.tokenUses.use(partner.id, replayKey(partner.id, parsed), now);
      const tokens = await this.sessions.open({ type: 'sso', user, client });
      const code = await this.codes.issue(tokens, client, now);
      return { userId: user.id, partnerId: partner.id, tokens, location: landingLocation(partner.landingUrl, code, presentationOf(query, acceptLanguage)) };
    } catch (error) {
      // Every refusal from here on names the partner in the audit log.
      if (error instanceof SsoRefusal) throw new SsoRefusal(error.reason, { ...context, ...error.context });
      throw error;
    }
  }

  /** POST /auth/exchange: the tokens of the session a one-time code was issued for. */
  exchange(code: string, client: ClientInfo): Promise<IssuedTokens> {
    return this.codes.redeem(code, client, new Date());
  }

  /** Deletes what can no longer be accepted: used tokens past any freshness window, codes past their minute. */
  async prune(now: Date): Promise<void> {
    if (!this.transactions.isOpen) return;
    try {
      await this.tokenUses.prune(now);
      await this.codes.prune(now);
    } catch (error) {
      this.logger.warn(`pruning used partner tokens and sign-in codes failed: ${(error as Error).message}`);
    }
  }

  /**
   * The user a partner names by email, else by mobile number, else by employee number: each is unique,
   * and one query finds all three candidates.
   */
  private async userNamed(subject: string): Promise<User | undefined> {
    const candidates = await this.transactions.reader
      .getRepository(User)
      .createQueryBuilder('user')
      .where('user.email = :subject OR user.phone = :subject OR user.employeeNo = :subject', { subject })
      .getMany();
    // Ignoring case only orders what the database matched: MySQL's collation matches without regard to case, SQLite exactly.
    const same = (value: string | null) => value !== null && value.toLowerCase() === subject.toLowerCase();
    return candidates.find((user) => same(user.email)) ?? candidates.find((user) => same(user.phone)) ?? candidates.find((user) => same(user.employeeNo));
  }
}

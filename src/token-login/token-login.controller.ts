import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { AppException } from '../common/app.exception';
import { RenderAs } from '../common/renderer';
import { Public } from '../security/decorators';
import { clientOf } from '../session/client-info';
import { SIGN_IN_PAGE_FAMILY } from './refusal-page';
import { SsoSessionPresenter } from './sso-session.presenter';
import { SsoRefusal } from './sso-refusal';
import { TokenLoginService } from './token-login.service';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

const refusalPage = (status: number, description: string) =>
  ApiResponse({
    status,
    description: `${description}. An HTML page saying, in the requested language, that the sign-in link is invalid or expired; no session, no cookie, no redirect.`,
    headers: { 'Referrer-Policy': { description: 'no-referrer', schema: { type: 'string' } } },
    content: { 'text/html': { schema: { type: 'string', example: '<!DOCTYPE html><html lang="en">…The sign-in link is invalid or has expired.…</html>' } } },
  });

@ApiTags('单点登录 Partner sign-in')
@RenderAs(SIGN_IN_PAGE_FAMILY)
@Controller('account')
export class TokenLoginController {
  constructor(
    private readonly tokenLogin: TokenLoginService,
    private readonly presenter: SsoSessionPresenter,
  ) {}

  @LimitedPerAddress('tokenLogin')
  @Get('tokenLogin.do')
  @Public()
  @Audited({ action: (status) => (status === 302 ? 'sso_login' : 'sso_refused') })
  @ApiOperation({
    summary: 'JWT token login (partner single sign-on)',
    description:
      'A partner sends its user\'s browser here with a JWT it signed, `{payload: {email: "<email, mobile number or employee number>"}, time: <now>}`. The partner is chosen by `iss` (else the default partner); the token must carry its algorithm and key, be at most maxTokenAge old (`time` in ms or s, or `iat`/`exp`) and at most 60 s ahead, and is accepted once. On success a session of type `sso` is opened, the refresh cookie `token` is set, and the browser goes to the partner\'s landingUrl with a one-time `code` (POST /auth/exchange trades it for the tokens) and the normalised presentation.',
  })
  @ApiQuery({
    name: 'userToken',
    required: true,
    description: 'The partner-signed JWT',
    example: 'eyJhbGciOiJIUzI1NiJ9.eyJwYXlsb2FkIjp7ImVtYWlsIjoieXVhbmNoYW96aGFvQHFxLmNvbSJ9LCJ0aW1lIjoxNzAwMDAwMDAwMDAwfQ.…',
  })
  @ApiQuery({ name: 'defaultClrTheme', required: false, enum: ['light', 'dark'], description: 'Passed on as `theme`; anything else is light' })
  @ApiQuery({
    name: 'defaultLang',
    required: false,
    example: 'en',
    description: 'en or zh (en-US, zh_CN, … too), passed on as `lang`; anything else falls back to Accept-Language',
  })
  @ApiQuery({ name: 'disableUserMark', required: false, enum: ['0', '1'], description: 'Passed on as 0 or 1; anything else is 0' })
  @ApiProduces('text/html')
  @ApiResponse({
    status: 302,
    description: "Signed in: to the partner's landingUrl with ?code=<one-time code>&theme=&lang=&disableUserMark=. The access token never travels in a URL.",
    headers: {
      Location: { description: 'https://console.example.com/sso/landing?code=…&theme=dark&lang=en&disableUserMark=1', schema: { type: 'string' } },
      'Set-Cookie': { description: 'token=<refresh token>; HttpOnly; SameSite=Strict; Path=/auth', schema: { type: 'string' } },
      'Referrer-Policy': { description: 'no-referrer', schema: { type: 'string' } },
    },
  })
  @refusalPage(
    429,
    'Too many failed sign-in links from this address (LIMIT_TOKEN_LOGIN_FAILURES_MAX per LIMIT_TOKEN_LOGIN_FAILURES_WINDOW); Retry-After gives the seconds to wait',
  )
  @refusalPage(400, 'No userToken, or one that is not a JWT or longer than 8 KB (a URL over 16 KB is refused by the HTTP server alike)')
  @refusalPage(
    401,
    'The token is not accepted: unknown or disabled partner, wrong algorithm or signature, too old or ahead, used before, or no enabled user it names',
  )
  async signIn(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Fastify answers HEAD with the GET handler; a link checker's HEAD must not spend the token or sign anyone in.
    if (request.method !== 'GET') throw new AppException('error.methodNotAllowed');
    let signedIn;
    try {
      signedIn = await this.tokenLogin.signIn(query, clientOf(request), request.headers['accept-language']);
    } catch (error) {
      if (error instanceof SsoRefusal) {
        const { partnerId, userId } = error.context;
        noteAudit(request, {
          ...(userId !== undefined ? { actor: String(userId) } : {}),
          ...(partnerId !== undefined ? { target: `partner:${partnerId}` } : {}),
          details: { reason: error.reason },
        });
      }
      throw error;
    }
    noteAudit(request, { actor: String(signedIn.userId), target: `partner:${signedIn.partnerId}` });
    this.presenter.opened(reply, signedIn);
  }
}

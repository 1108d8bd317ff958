import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { Audited } from '../audit/audited.decorator';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import { Reply } from '../common/envelope';
import type { Page } from '../common/paging';
import { CurrentPrincipal, Scopes } from '../security/decorators';
import { Principal, userIdOf } from '../security/principal';
import { AppException } from '../common/app.exception';

/** Own sessions belong to a user; a token minted for another subject has none. */
function ownUserId(caller: Principal): number {
  const id = userIdOf(caller);
  if (id === undefined) throw new AppException('error.notAUser');
  return id;
}
import { SessionDto, SessionQueryDto } from './dto/session.dto';
import { SessionService } from './session.service';

const sessionExample = {
  id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  type: 'password',
  userId: 1,
  username: 'admin',
  ip: '10.0.0.8',
  userAgent: 'Mozilla/5.0',
  createdAt: '2023-01-01 12:00:00',
  lastSeenAt: '2023-01-01 12:10:00',
  expiresAt: '2023-01-15 12:00:00',
  revokedAt: null,
  revokeReason: null,
};
const pageExample = { message: '查询成功', example: { total: 1, list: [sessionExample] } };

@ApiTags('会话 Sessions')
@Controller('session')
export class SessionController {
  constructor(private readonly sessions: SessionService) {}

  @Get()
  @Scopes('searchSession')
  @ApiOperation({ summary: 'Search sessions', description: 'Filters: username (contained), userId, ip, type, active. Newest first. Never a token or hash.' })
  @ApiEnvelopeResponse(200, EnvelopeData.page(SessionDto), pageExample)
  async search(@Query() query: SessionQueryDto): Promise<Reply<Page<SessionDto>>> {
    return new Reply('query.success', await this.sessions.search(query));
  }

  @Get('mine')
  @Scopes()
  @ApiOperation({ summary: 'The caller’s own sessions' })
  @ApiEnvelopeResponse(200, EnvelopeData.page(SessionDto), pageExample)
  async mine(@CurrentPrincipal() caller: Principal, @Query() query: SessionQueryDto): Promise<Reply<Page<SessionDto>>> {
    return new Reply('query.success', await this.sessions.search(query, ownUserId(caller)));
  }

  @Delete('mine/:id')
  @Scopes()
  @Audited({ action: 'kickout', target: 'id' })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: sessionExample.id })
  @ApiOperation({ summary: 'End one of the caller’s own sessions', description: '404 for a session of someone else.' })
  @ApiEnvelopeResponse(200, EnvelopeData.none)
  async endMine(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<Reply<null>> {
    await this.sessions.endOwn(ownUserId(caller), id);
    return new Reply('ok', null);
  }

  @Delete(':id')
  @Scopes('kickout')
  @Audited({ action: 'kickout', target: 'id' })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: sessionExample.id })
  @ApiOperation({
    summary: 'End a session (kick out)',
    description:
      'Its access tokens are refused on the next request, on every instance within a second; its refresh token no longer works. 409 when it had already ended; 403 when its user holds, or the minted token carries, a scope the caller lacks (as POST /user/{uid}/kickout).',
  })
  @ApiEnvelopeResponse(200, EnvelopeData.none)
  async kickout(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<Reply<null>> {
    await this.sessions.kickout(caller, id);
    return new Reply('ok', null);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audited.decorator';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import { Reply } from '../common/envelope';
import type { Page } from '../common/paging';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { CurrentPrincipal, Scopes } from '../security/decorators';
import { actorIdOf, Principal } from '../security/principal';
import { CreatePartnerDto, PartnerDto, UpdatePartnerDto } from './dto/partner.dto';
import { PartnerService } from './partner.service';

const partnerExample = {
  id: 1,
  name: 'OA 系统',
  issuer: null,
  algorithm: 'HS256',
  secret: null,
  publicKey: null,
  landingUrl: 'https://console.example.com/sso/landing',
  maxTokenAge: 300,
  enabled: true,
  isDefault: true,
  createTime: '2023-01-01 12:00:00',
  updateTime: '2023-01-01 12:00:00',
  remark: '',
};
const KEPT = ['name', 'issuer', 'algorithm', 'landingUrl', 'maxTokenAge', 'enabled', 'isDefault'];

@ApiTags('单点登录 Partner sign-in')
@Controller('sso/partners')
export class PartnerController {
  constructor(private readonly partners: PartnerService) {}

  @Post()
  @Scopes('sso')
  @Audited({ action: 'sso_partner_change', keep: KEPT })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add a partner',
    description:
      'HS256: the shared secret is given (at least 32 bytes) or generated; a generated one is answered in `secret` this once and never again. RS256/ES256: `publicKey` as PEM or JWK.',
  })
  @ApiEnvelopeResponse(200, PartnerDto, {
    message: '新增成功',
    example: { ...partnerExample, secret: 'q3Xv0bWJ5m1s8yKc2hQe7tRfZ9LpA4dN6uGiV0oXwYsEjMbTkHcU1lDrP5zOgI7n' },
  })
  async create(@CurrentPrincipal() caller: Principal, @Body() body: CreatePartnerDto): Promise<Reply<PartnerDto>> {
    return new Reply('create.success', await this.partners.create(actorIdOf(caller), body));
  }

  @Get()
  @Scopes('sso')
  @ApiOperation({ summary: 'Every partner' })
  @ApiEnvelopeResponse(200, EnvelopeData.page(PartnerDto), { message: '查询成功', example: { total: 1, list: [partnerExample] } })
  async list(): Promise<Reply<Page<PartnerDto>>> {
    return new Reply('query.success', await this.partners.list());
  }

  @Get(':id')
  @Scopes('sso')
  @ApiParam({ name: 'id', example: 1 })
  @ApiOperation({ summary: 'One partner' })
  @ApiEnvelopeResponse(200, PartnerDto, { message: '获取成功', example: partnerExample })
  async get(@Param('id', ParseIdPipe) id: number): Promise<Reply<PartnerDto>> {
    return new Reply('fetch.success', await this.partners.get(id));
  }

  @Put(':id')
  @Scopes('sso')
  @Audited({ action: 'sso_partner_change', target: 'id', keep: [...KEPT, 'regenerateSecret'] })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: 1 })
  @ApiOperation({
    summary: 'Change a partner',
    description:
      'Fields left out keep their value. A new `algorithm` needs a key of its kind; `regenerateSecret` (HS256) answers the new secret in `secret` this once.',
  })
  @ApiEnvelopeResponse(200, PartnerDto, { message: '修改成功', example: partnerExample })
  async update(@CurrentPrincipal() caller: Principal, @Param('id', ParseIdPipe) id: number, @Body() body: UpdatePartnerDto): Promise<Reply<PartnerDto>> {
    return new Reply('update.success', await this.partners.update(actorIdOf(caller), id, body));
  }

  @Delete(':id')
  @Scopes('sso')
  @Audited({ action: 'sso_partner_change', target: 'id' })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: 1 })
  @ApiOperation({ summary: 'Remove a partner', description: 'Its tokens are refused from then on; sessions it opened go on.' })
  @ApiEnvelopeResponse(200, EnvelopeData.none, { message: '删除成功' })
  async remove(@Param('id', ParseIdPipe) id: number): Promise<Reply<null>> {
    await this.partners.remove(id);
    return new Reply('delete.success', null);
  }
}

import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import { Reply } from '../common/envelope';
import type { Page } from '../common/paging';
import { Scopes } from '../security/decorators';
import { AuditService } from './audit.service';
import { AuditEntryDto, AuditQueryDto } from './dto/audit.dto';

@ApiTags('审计 Audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Scopes('audit')
  @ApiOperation({ summary: 'Read the audit log', description: 'Newest first. Filters: actor, action, target (contained), from, to.' })
  @ApiEnvelopeResponse(200, EnvelopeData.page(AuditEntryDto), {
    message: '查询成功',
    example: {
      total: 1,
      list: [
        {
          id: 42,
          time: '2026-01-01 12:00:00',
          actor: '1',
          action: 'kickout',
          target: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
          ip: '10.0.0.8',
          userAgent: 'Mozilla/5.0',
          outcome: 'success',
          details: { method: 'DELETE', route: '/session/:id', status: 200 },
        },
      ],
    },
  })
  async search(@Query() query: AuditQueryDto): Promise<Reply<Page<AuditEntryDto>>> {
    return new Reply('query.success', await this.audit.search(query));
  }
}

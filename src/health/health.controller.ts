import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { AppException } from '../common/app.exception';
import { Reply } from '../common/envelope';
import { Public } from '../security/decorators';

export interface HealthStatus {
  status: 'ok';
  database: 'up';
}

@ApiTags('Health')
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and database readiness' })
  @ApiOkResponse({ schema: { example: { code: 200, message: '服务正常', msg: '服务正常', data: { status: 'ok', database: 'up' } } } })
  @ApiResponse({ status: 503, description: 'The database cannot be reached' })
  async check(): Promise<Reply<HealthStatus>> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new AppException(503, 'error.databaseUnavailable', { status: 'error', database: 'down' });
    }
    return new Reply('health.ok', { status: 'ok', database: 'up' });
  }
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, isISO8601, IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from '../../common/input-rules';
import { NoControlChars } from '../../common/no-control-chars';
import { PageQueryDto } from '../../common/paging';

/**
 * ISO 8601 only: `new Date()` reads almost anything (`' OR '1'='1` is 2001-01-01), and a filter it misread
 * would answer rows the caller did not ask for instead of a 400.
 */
const isoDate = ({ value }: { value: unknown }) =>
  typeof value === 'string' && isISO8601(value, { strict: true }) ? new Date(value) : value === undefined ? value : new Date(NaN);

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: '1', description: 'User id, username or subject, exactly' })
  @Optional()
  @IsString()
  @NoControlChars()
  @MaxLength(255)
  actor?: string;
  @ApiPropertyOptional({ example: 'login_failed' }) @Optional() @IsString() @Matches(/^[a-z_]{1,32}$/) action?: string;
  @ApiPropertyOptional({ description: 'Contained in the target' }) @Optional() @IsString() @NoControlChars() @MaxLength(255) target?: string;
  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'From this time (ISO 8601)' }) @Optional() @Transform(isoDate) @IsDate() from?: Date;
  @ApiPropertyOptional({ example: '2026-12-31T23:59:59Z', description: 'Up to this time (ISO 8601)' }) @Optional() @Transform(isoDate) @IsDate() to?: Date;
}

export class AuditEntryDto {
  @ApiProperty({ example: 42 }) id!: number;
  @ApiProperty({ type: String, nullable: true, example: '2026-01-01 12:00:00' }) time!: string | null;
  @ApiProperty({ type: String, example: '1', nullable: true }) actor!: string | null;
  @ApiProperty({ example: 'kickout' }) action!: string;
  @ApiProperty({ type: String, example: '1b4e28ba-2fa1-41d2-883f-0016d3cca427', nullable: true }) target!: string | null;
  @ApiProperty({ type: String, example: '10.0.0.8', nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, example: 'Mozilla/5.0', nullable: true }) userAgent!: string | null;
  @ApiProperty({ example: 'success' }) outcome!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { method: 'DELETE', route: '/session/:id', status: 200 }, nullable: true })
  details!: Record<string, unknown> | null;
}

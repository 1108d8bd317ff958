import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { IntLike, Optional } from '../../common/input-rules';
import { NoControlChars } from '../../common/no-control-chars';
import { PageQueryDto } from '../../common/paging';
import { MAX_ID } from '../../common/parse-id.pipe';
import { SESSION_TYPES } from '../entities/session.entity';

export class SessionQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Contained in the username' }) @Optional() @IsString() @NoControlChars() @MaxLength(64) username?: string;
  @ApiPropertyOptional({ example: 1 }) @Optional() @IntLike() @IsInt() @Min(1) @Max(MAX_ID) userId?: number;
  @ApiPropertyOptional({ example: '10.0.0.8' }) @Optional() @IsString() @NoControlChars() @MaxLength(64) ip?: string;
  @ApiPropertyOptional({ enum: SESSION_TYPES }) @Optional() @IsIn(SESSION_TYPES) type?: string;
  @ApiPropertyOptional({ description: 'true: not revoked and not expired; false: revoked or expired' })
  @Optional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  active?: boolean;
}

/** A session as administrators see it: never a token or a hash. */
export class SessionDto {
  @ApiProperty({ example: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' }) id!: string;
  @ApiProperty({ example: 'password', enum: SESSION_TYPES }) type!: string;
  @ApiProperty({ type: 'integer', example: 1, nullable: true, description: 'null for a token minted for a subject that is not a user' }) userId!: number | null;
  @ApiProperty({ type: String, example: 'admin', nullable: true }) username!: string | null;
  @ApiProperty({ type: String, example: null, nullable: true, description: 'Minted tokens: their subject' }) subject!: string | null;
  @ApiProperty({ type: String, example: null, nullable: true, description: 'Minted tokens: their audience' }) audience!: string | null;
  @ApiProperty({ example: null, nullable: true, type: [String], description: 'Minted tokens: their scopes' }) scopes!: string[] | null;
  @ApiProperty({ type: 'integer', example: null, nullable: true, description: 'Minted tokens: who minted them' }) mintedBy!: number | null;
  @ApiProperty({ example: '10.0.0.8' }) ip!: string;
  @ApiProperty({ example: 'Mozilla/5.0' }) userAgent!: string;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) createdAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) lastSeenAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-15 12:00:00' }) expiresAt!: string | null;
  @ApiProperty({ type: String, example: null, nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, example: null, nullable: true }) revokeReason!: string | null;
}

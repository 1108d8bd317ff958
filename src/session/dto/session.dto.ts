import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { NoControlChars } from '../../common/no-control-chars';
import { PageQueryDto } from '../../common/paging';
import { ToId } from '../../common/parse-id.pipe';

export const SESSION_TYPES = ['password', 'sso', 'mobile', 'minted', 'personal'] as const;

export class SessionQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Contained in the username' }) @IsOptional() @IsString() @NoControlChars() @MaxLength(64) username?: string;
  @ApiPropertyOptional({ example: 1 }) @IsOptional() @ToId() @IsInt() @Min(1) @Max(2_147_483_647) userId?: number;
  @ApiPropertyOptional({ example: '10.0.0.8' }) @IsOptional() @IsString() @NoControlChars() @MaxLength(64) ip?: string;
  @ApiPropertyOptional({ enum: SESSION_TYPES }) @IsOptional() @IsIn(SESSION_TYPES) type?: string;
  @ApiPropertyOptional({ description: 'true: not revoked and not expired; false: revoked or expired' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  active?: boolean;
}

/** A session as administrators see it: never a token or a hash. */
export class SessionDto {
  @ApiProperty({ example: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' }) id!: string;
  @ApiProperty({ example: 'password', enum: SESSION_TYPES }) type!: string;
  @ApiProperty({ example: 1, nullable: true, description: 'null for a token minted for a subject that is not a user' }) userId!: number | null;
  @ApiProperty({ example: 'admin', nullable: true }) username!: string | null;
  @ApiProperty({ example: null, nullable: true, description: 'Minted tokens: their subject' }) subject!: string | null;
  @ApiProperty({ example: null, nullable: true, description: 'Minted tokens: their audience' }) audience!: string | null;
  @ApiProperty({ example: null, nullable: true, type: [String], description: 'Minted tokens: their scopes' }) scopes!: string[] | null;
  @ApiProperty({ example: null, nullable: true, description: 'Minted tokens: who minted them' }) mintedBy!: number | null;
  @ApiProperty({ example: '10.0.0.8' }) ip!: string;
  @ApiProperty({ example: 'Mozilla/5.0' }) userAgent!: string;
  @ApiProperty({ example: '2023-01-01 12:00:00' }) createdAt!: string | null;
  @ApiProperty({ example: '2023-01-01 12:00:00' }) lastSeenAt!: string | null;
  @ApiProperty({ example: '2023-01-15 12:00:00' }) expiresAt!: string | null;
  @ApiProperty({ example: null, nullable: true }) revokedAt!: string | null;
  @ApiProperty({ example: null, nullable: true }) revokeReason!: string | null;
}

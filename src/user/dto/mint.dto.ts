import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches, MaxLength, ValidateBy, ValidationOptions } from 'class-validator';
import { PERMISSION_CODE } from '../../permission/dto/permission.dto';

export type ExpiresAt = number | { seconds: number | string; nanos?: number };

/** Unix seconds, or the document's `{seconds, nanos}` (seconds as a number or a numeric string). */
function IsExpiresAt(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isExpiresAt',
      validator: {
        validate: (value: unknown) => expiresAtSeconds(value as ExpiresAt) !== undefined,
        defaultMessage: () => 'expiresAt must be Unix seconds, or {seconds, nanos}',
      },
    },
    options,
  );
}

export function expiresAtSeconds(value: ExpiresAt | undefined): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.some((key) => key !== 'seconds' && key !== 'nanos')) return undefined;
  const seconds = typeof value.seconds === 'string' && /^\d{1,12}$/.test(value.seconds) ? Number(value.seconds) : value.seconds;
  if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds)) return undefined;
  if (value.nanos !== undefined && (!Number.isInteger(value.nanos) || value.nanos < 0 || value.nanos > 999_999_999)) return undefined;
  return seconds;
}

export class PersonalTokenDto {
  @ApiPropertyOptional({ example: 'mfs', description: 'The token’s `aud`; this server’s audience when omitted' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  audience?: string;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'integer' },
      { type: 'object', required: ['seconds'], properties: { seconds: { oneOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\d{1,12}$' }] }, nanos: { type: 'integer', minimum: 0, maximum: 999_999_999 } } },
    ],
    example: 1767225600,
    description: 'Unix seconds, or {seconds, nanos}; in the future and at most MINT_MAX_TTL ahead. One hour when omitted.',
  })
  @IsOptional()
  @IsExpiresAt()
  expiresAt?: ExpiresAt;

  @ApiPropertyOptional({ type: [String], example: ['connect', 'publish'], description: 'Scopes, a subset of the caller’s own; the caller’s scopes when omitted' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(PERMISSION_CODE, { each: true })
  authorities?: string[];
}

export class GenerateJwtDto extends PersonalTokenDto {
  @ApiProperty({ example: 'test1', description: 'Any string: a user id, a device, a service' })
  @IsString()
  @Length(1, 255)
  subject!: string;

  @ApiPropertyOptional({ example: 'root', description: 'Accepted and recorded in the audit log; the token’s `iss` is always this server’s' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  issuer?: string;

  @ApiPropertyOptional({ example: 'jwtId_z9l97', description: 'Accepted and recorded in the audit log; the token’s `jti` is generated' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  jwtId?: string;
}

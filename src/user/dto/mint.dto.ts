import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Length, Matches, MaxLength, ValidateBy, ValidationOptions } from 'class-validator';
import { Optional } from '../../common/input-rules';
import { PERMISSION_CODE } from '../../permission/dto/permission.dto';

export type ExpiresAt = number | string | { seconds: number | string; nanos?: number | string };

/** Unix seconds as a number or a numeric string, or the document's `{seconds, nanos}` (each a number or a numeric string). */
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

/** The document's schema shows seconds and nanos as strings (protobuf's JSON form of int64). */
const wholeNumber = (value: unknown): number | undefined => {
  const number = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
};

export function expiresAtSeconds(value: ExpiresAt | undefined): number | undefined {
  if (typeof value === 'number' || typeof value === 'string') return wholeNumber(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.some((key) => key !== 'seconds' && key !== 'nanos')) return undefined;
  const seconds = wholeNumber(value.seconds);
  if (seconds === undefined) return undefined;
  if (value.nanos !== undefined) {
    const nanos = wholeNumber(value.nanos);
    if (nanos === undefined || nanos > 999_999_999) return undefined;
  }
  return seconds;
}

export class PersonalTokenDto {
  @ApiPropertyOptional({ example: 'mfs', description: 'The token’s `aud`; this server’s audience when omitted' })
  @Optional()
  @IsString()
  @Length(1, 255)
  audience?: string;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'integer' },
      { type: 'string', pattern: '^\\d{1,12}$' },
      {
        type: 'object',
        required: ['seconds'],
        properties: {
          seconds: { oneOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\d{1,12}$' }] },
          nanos: {
            oneOf: [
              { type: 'integer', minimum: 0, maximum: 999_999_999 },
              { type: 'string', pattern: '^\\d{1,9}$' },
            ],
          },
        },
      },
    ],
    example: 1767225600,
    description: 'Unix seconds (a number or a numeric string), or {seconds, nanos}; in the future and at most MINT_MAX_TTL ahead. One hour when omitted.',
  })
  @Optional()
  @IsExpiresAt()
  expiresAt?: ExpiresAt;

  @ApiPropertyOptional({
    type: [String],
    example: ['connect', 'publish'],
    description: 'Scopes, a subset of the caller’s own; the caller’s scopes when omitted',
  })
  @Optional()
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
  @Optional()
  @IsString()
  @MaxLength(255)
  issuer?: string;

  @ApiPropertyOptional({ example: 'jwtId_z9l97', description: 'Accepted and recorded in the audit log; the token’s `jti` is generated' })
  @Optional()
  @IsString()
  @MaxLength(255)
  jwtId?: string;
}

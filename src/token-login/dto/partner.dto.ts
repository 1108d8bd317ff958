import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IntLike, Optional } from '../../common/input-rules';
import { MAX_TOKEN_AGE_LIMIT_SECONDS, PARTNER_ALGORITHMS, type PartnerAlgorithm } from '../entities/sso-partner.entity';

const PEM_EXAMPLE = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA...\n-----END PUBLIC KEY-----\n';

export class CreatePartnerDto {
  @ApiProperty({ example: 'OA 系统', maxLength: 64 })
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://oa.example.com',
    description: 'Matched against the `iss` of its tokens; unique. Tokens without `iss` go to the default partner.',
  })
  @Clearable()
  @IsString()
  @Length(1, 255)
  issuer?: string | null;

  @ApiProperty({ enum: PARTNER_ALGORITHMS, example: 'HS256', description: 'The only algorithm its tokens may be signed with' })
  @IsIn(PARTNER_ALGORITHMS)
  algorithm!: PartnerAlgorithm;

  @ApiPropertyOptional({
    example: 'q3Xv0bWJ5m1s8yKc2hQe7tRfZ9LpA4dN6uGiV0oXwYsEjMbTkHcU1lDrP5zOgI7n',
    description:
      'HS256 only: the shared secret, at least 32 bytes; its UTF-8 bytes are the HMAC key. Omitted, one is generated and answered once. Never answered when given.',
  })
  @Optional()
  @IsString()
  @MaxLength(512)
  secret?: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    example: PEM_EXAMPLE,
    description: 'RS256 (RSA, at least 2048 bits) or ES256 (P-256) only: the public key as PEM, or as a JWK (an object or its JSON text)',
  })
  @Optional()
  publicKey?: string | Record<string, unknown>;

  @ApiProperty({
    example: 'https://console.example.com/sso/landing',
    maxLength: 2048,
    description: 'Where the browser goes after a sign-in, with ?code=&theme=&lang=&disableUserMark=: an absolute https URL (http only on localhost)',
  })
  @IsString()
  @MaxLength(2048)
  landingUrl!: string;

  @ApiPropertyOptional({
    example: 300,
    minimum: 10,
    maximum: MAX_TOKEN_AGE_LIMIT_SECONDS,
    description: 'Seconds a token stays acceptable after its `time`/`iat`; default 300',
  })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(10)
  @Max(MAX_TOKEN_AGE_LIMIT_SECONDS)
  maxTokenAge?: number;

  @ApiPropertyOptional({ example: true, description: 'Default true' })
  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ example: true, description: 'The partner of tokens without `iss`; marking one unmarks the previous one. Default false' })
  @Optional()
  @IsBoolean()
  isDefault?: boolean;

  @ApiPropertyOptional({ type: String, example: '', nullable: true })
  @Clearable()
  @IsString()
  @MaxLength(500)
  remark?: string | null;
}

export class UpdatePartnerDto extends PartialType(CreatePartnerDto) {
  /** Optional here, so "" keeps the value as for every other optional field. */
  @Optional()
  override name?: string;

  @Optional()
  override algorithm?: PartnerAlgorithm;

  @Optional()
  override landingUrl?: string;

  @ApiPropertyOptional({ example: false, description: 'HS256: replace the secret by a generated one, answered once in `secret`' })
  @Optional()
  @IsBoolean()
  regenerateSecret?: boolean;
}

export class PartnerDto {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'OA 系统' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'https://oa.example.com' }) issuer!: string | null;
  @ApiProperty({ enum: PARTNER_ALGORITHMS, example: 'HS256' }) algorithm!: PartnerAlgorithm;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'q3Xv0bWJ5m1s8yKc2hQe7tRfZ9LpA4dN6uGiV0oXwYsEjMbTkHcU1lDrP5zOgI7n',
    description: 'The HS256 secret this request generated: shown this once, null in every other answer',
  })
  secret!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'RS256/ES256: the public key, SPKI PEM' }) publicKey!: string | null;
  @ApiProperty({ example: 'https://console.example.com/sso/landing' }) landingUrl!: string;
  @ApiProperty({ example: 300 }) maxTokenAge!: number;
  @ApiProperty({ example: true }) enabled!: boolean;
  @ApiProperty({ example: true }) isDefault!: boolean;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) createTime!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) updateTime!: string | null;
  @ApiProperty({ type: String, example: '', description: '"" when unset' }) remark!: string | null;
}

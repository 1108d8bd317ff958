import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from '../../common/input-rules';
import { MAINLAND_PHONE } from '../addresses';
import type { ApiV2TokenBody } from '../api-v2-session.presenter';

const EXAMPLE_TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwOi8vcGx1cy5pby9hcGkvdjIvYXV0aC9sb2dpbiIsImlhdCI6MTUxNTU3NDE0MSwiZXhwIjoxNTE1NTc3NzQxLCJuYmYiOjE1MTU1NzQxNDEsImp0aSI6Imx1MWtFcDd1UjZpWnoxV3giLCJzdWIiOjEsInBydiI6IjQ4ZTQ1MzgzMWNlYmE1ZTU3YTQ3NWU2ODY0OWNmZGVlNmU5N2Q4ZDIifQ.0_u1dgb-rSr2o7nIx4Q1n1NNcr1LMAtgTbKsFFdUvmg';

export class SendCodeDto {
  @ApiPropertyOptional({ example: '13800138000', description: 'Required without email: a mainland China mobile number, optionally +86' })
  @Optional()
  @IsString()
  @Matches(MAINLAND_PHONE)
  phone?: string;

  @ApiPropertyOptional({ example: 'alice@example.com', description: 'Required without phone' })
  @Optional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string;
}

export class RegisterV2Dto {
  @ApiPropertyOptional({ example: '13800138000', description: 'Required without email (verifiableType sms): a mainland China mobile number' })
  @Optional()
  @IsString()
  @Matches(MAINLAND_PHONE)
  phone?: string;

  @ApiPropertyOptional({ example: 'alice@example.com', description: 'Required without phone (verifiableType mail)' })
  @Optional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string;

  @ApiProperty({ example: 'alice', description: 'The username: 3–64 letters, digits, _ . - @; unique, compared case-insensitively' })
  @IsString()
  @MaxLength(256)
  name!: string;

  @ApiPropertyOptional({ example: 'correct-horse-battery', description: 'Optional; when given, 8–64 characters, at most 72 bytes, not a common password' })
  @Optional()
  @IsString()
  @MaxLength(256)
  password?: string;

  @ApiProperty({ example: 'sms', enum: ['mail', 'sms'], description: 'Where the code was sent: mail to email, sms to phone' })
  @IsIn(['mail', 'sms'])
  verifiableType!: 'mail' | 'sms';

  @ApiProperty({ example: '123456', description: 'The code POST /api/v2/verifycodes sent' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  verifiableCode!: string;
}

export class LoginV2Dto {
  @ApiProperty({ example: '13800138000', description: 'A name, an email or a phone; with verifiable_code, a phone or an email' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  login!: string;

  @ApiPropertyOptional({ example: '123456', description: 'Either this or password' })
  @Optional()
  @IsString()
  @MaxLength(16)
  verifiable_code?: string;

  @ApiPropertyOptional({ example: 'correct-horse-battery', description: 'Either this or verifiable_code' })
  @Optional()
  @IsString()
  @MaxLength(1024)
  password?: string;
}

/** Document 002's token answer. */
export class ApiV2TokenDto implements ApiV2TokenBody {
  @ApiProperty({ example: EXAMPLE_TOKEN, description: '授权 Token: the one token the client keeps, for every request and for refresh' })
  access_token!: string;

  @ApiProperty({ example: 'bearer', enum: ['bearer'], description: 'Token 类型' })
  token_type!: 'bearer';

  @ApiProperty({ example: 60, description: '过期时间，单位分钟: minutes the token is valid' })
  expires_in!: number;

  @ApiProperty({ example: 20160, description: '刷新过期时间，单位分钟: minutes the session can still be refreshed' })
  refresh_ttl!: number;
}

export class ApiV2MessageDto {
  @ApiProperty({ example: '退出成功' })
  message!: string;
}

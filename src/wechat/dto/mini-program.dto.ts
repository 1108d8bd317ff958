import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

const DOCUMENT_TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwOi8vcGx1cy5pby9hcGkvdjIvYXV0aC9sb2dpbiIsImlhdCI6MTUxNTU3NDE0MSwiZXhwIjoxNTE1NTc3NzQxLCJuYmYiOjE1MTU1NzQxNDEsImp0aSI6Imx1MWtFcDd1UjZpWnoxV3giLCJzdWIiOjEsInBydiI6IjQ4ZTQ1MzgzMWNlYmE1ZTU3YTQ3NWU2ODY0OWNmZGVlNmU5N2Q4ZDIifQ.0_u1dgb-rSr2o7nIx4Q1n1NNcr1LMAtgTbKsFFdUvmg';

export class MiniProgramLoginDto {
  @ApiProperty({ description: '**必填**，通过微信小程序的接口 `wx.login` 获取到的code。', example: '081Kq6Ga1Gw9wN0mGwFa1xX1Ga1Kq6Gp' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  code!: string;
}

/** Document 002's token answer (the family's `ApiV2TokenBody`), for the OpenAPI document. */
export class MiniProgramTokenDto {
  @ApiProperty({ description: '授权 Token', example: DOCUMENT_TOKEN })
  access_token!: string;

  @ApiProperty({ description: 'Token 类型', enum: ['bearer'], example: 'bearer' })
  token_type!: 'bearer';

  @ApiProperty({ description: '过期时间，单位分钟', type: 'integer', example: 60 })
  expires_in!: number;

  @ApiProperty({ description: '刷新过期时间，单位分钟', type: 'integer', example: 20160 })
  refresh_ttl!: number;
}

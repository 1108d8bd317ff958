import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IntLike, Optional } from '../../common/input-rules';
import { NoControlChars } from '../../common/no-control-chars';
import { MAX_ID } from '../../common/parse-id.pipe';
import { TICKET_ALGS, TICKET_TYPES, type TicketAlg, type TicketType } from '../entities/ticket.entity';
import { IsTicketTime } from '../ticket-time';

export const PAGE_SIZES = [5, 10, 20];
const TIME_FORMATS = 'YYYY-MM-DD (an end date is valid through that day), YYYY-MM-DD HH:mm:ss in the server time zone, or ISO 8601 with a zone';

const GATEWAY_ID = { example: 70, description: '配置所属的网关ID The gateway the ticket belongs to (1 to 2147483647; digits in a string are read too)' };

export class CreateTicketDto {
  @ApiProperty({ ...GATEWAY_ID, type: Number })
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  gatewayId!: number;

  @ApiProperty({ example: 'JWTtest', maxLength: 64, description: '凭证名称 Unique in the gateway (whatever its case); the client token’s `sub`' })
  @IsString()
  @Length(1, 64)
  @NoControlChars()
  name!: string;

  @ApiPropertyOptional({ type: String, example: 'Doctest', maxLength: 255, description: '凭证的备注信息' })
  @Clearable()
  @IsString()
  @MaxLength(255)
  @NoControlChars()
  comment?: string | null;

  @ApiProperty({
    enum: TICKET_TYPES,
    example: 'JWT',
    description: 'JWT: the server signs the client token. JWT-SIGNER: the client gets the private key once and signs its own tokens',
  })
  @IsIn(TICKET_TYPES)
  ticketType!: TicketType;

  @ApiPropertyOptional({ example: '2020-10-22', description: `凭证的生效时间; now when omitted. ${TIME_FORMATS}` })
  @Optional()
  @IsString()
  @IsTicketTime()
  validStartTime?: string;

  @ApiProperty({ example: '2020-11-22', description: `凭证有效期: in the future, after validStartTime. ${TIME_FORMATS}` })
  @IsString()
  @IsTicketTime()
  validEndTime!: string;

  @ApiPropertyOptional({ enum: TICKET_ALGS, default: 'RS256', example: 'RS512', description: 'The signature algorithm of the ticket’s RSA key (2048 bits)' })
  @Optional()
  @IsIn(TICKET_ALGS)
  alg?: TicketAlg;
}

/** What can change: the comment, and the end of the validity (a JWT ticket’s client token is signed again). */
export class UpdateTicketDto {
  @ApiPropertyOptional({ type: String, example: 'Doctest', nullable: true, maxLength: 255, description: '"" or null clears it' })
  @Clearable()
  @IsString()
  @MaxLength(255)
  @NoControlChars()
  comment?: string | null;

  @ApiPropertyOptional({ example: '2020-11-22', description: TIME_FORMATS })
  @Optional()
  @IsString()
  @IsTicketTime()
  validEndTime?: string;
}

/** FindAuthTickets: from the query string, or the JSON body of the GET as the document sends it (numbers as strings). */
export class TicketListQueryDto {
  @ApiProperty({ ...GATEWAY_ID, type: Number })
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  gatewayId!: number;

  @ApiPropertyOptional({ example: 'JWTtest', description: '凭证名称 Contained in the name, whatever its case' })
  @Optional()
  @IsString()
  @MaxLength(64)
  @NoControlChars()
  name?: string;

  @ApiPropertyOptional({ type: Number, minimum: 1, default: 1, example: 2, description: '页码' })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  pageNumber?: number;

  @ApiPropertyOptional({ type: Number, enum: PAGE_SIZES, default: 10, example: 10, description: '每页显示凭证数量，包含 5、10、20' })
  @Optional()
  @IntLike()
  @IsIn(PAGE_SIZES)
  pageSize?: number;

  @ApiPropertyOptional({ enum: ['json', 'xml'], description: 'xml answers the document’s XML form, as Accept: application/xml does' })
  @Optional()
  @IsIn(['json', 'xml'])
  format?: string;
}

/** The fields every form of a ticket shows. */
class TicketFieldsDto {
  @ApiProperty({ example: '2020-11-22', description: '凭证有效期 (YYYY-MM-DD)' }) validEndTime!: string;
  @ApiProperty({ example: '2020-10-22', description: '凭证的生效时间 (YYYY-MM-DD)' }) validStartTime!: string;
  @ApiProperty({ example: 'JWTtest' }) name!: string;
  @ApiProperty({ example: 'Doctest', description: '"" when unset' }) comment!: string;
  @ApiProperty({ enum: TICKET_TYPES, example: 'JWT' }) ticketType!: TicketType;
  @ApiProperty({ example: 58 }) id!: number;
}

/** One ticket of FindAuthTickets, field for field as the document shows it; the client token and server key masked. */
export class TicketListItemDto extends TicketFieldsDto {
  @ApiProperty({ example: 'eyJhbGciOiJSUzUx****', description: 'The first 16 characters of the client token; "" for JWT-SIGNER' }) clientToken!: string;
  @ApiProperty({ example: '{"kty":"RSA","kid":"9c901c45-0ef0-4bda-a4e2-8307012c****"}', description: 'kty and the kid, its last 4 characters masked' })
  serverKey!: string;
}

/** One ticket, unmasked: its client token (JWT tickets) and whole public key. */
export class TicketDto extends TicketFieldsDto {
  @ApiProperty({
    example: 'eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCIsImtpZCI6IjljOTAxYzQ1LTBlZjAtNGJkYS1hNGUyLTgzMDcwMTJjMDAwMCJ9.eyJpc3MiOiJpZGVudGl0eS1zZXJ2ZXIifQ.c2ln',
    description: 'JWT tickets: iss, sub (the name), aud (gateway:<gatewayId>), jti, iat, nbf (validStartTime), exp (validEndTime); "" for JWT-SIGNER',
  })
  clientToken!: string;
  @ApiProperty({
    example: '{"kty":"RSA","kid":"9c901c45-0ef0-4bda-a4e2-8307012c0000","n":"0vx7…","e":"AQAB","alg":"RS512","use":"sig"}',
    description: 'The public JWK, as a JSON string',
  })
  serverKey!: string;
  @ApiProperty({ example: 70 }) gatewayId!: number;
  @ApiProperty({ enum: TICKET_ALGS, example: 'RS512' }) alg!: TicketAlg;
}

/** A ticket as created or rotated: a JWT-SIGNER ticket's private key is in it, and only here. */
export class TicketWithKeyDto extends TicketDto {
  @ApiPropertyOptional({
    example:
      '{"kty":"RSA","kid":"9c901c45-0ef0-4bda-a4e2-8307012c0000","n":"0vx7…","e":"AQAB","d":"X4cT…","p":"…","q":"…","dp":"…","dq":"…","qi":"…","alg":"RS512","use":"sig"}',
    description: 'JWT-SIGNER only: the private JWK, as a JSON string. Shown once; the server does not keep it',
  })
  clientKey?: string;
}

export class TicketPageDto {
  @ApiProperty({ type: [TicketListItemDto] }) list!: TicketListItemDto[];
  @ApiProperty({ example: 2, description: '符合查询条件的凭证数量' }) totalCount!: number;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ToId } from '../../common/parse-id.pipe';

export const PERMISSION_CODE = /^[A-Za-z][A-Za-z0-9:_.-]{0,63}$/;

export class PermissionDto {
  @ApiProperty({ example: '修改用户' })
  name!: string;

  @ApiProperty({ example: 'system:user:alter', description: 'The scope code carried in tokens' })
  permission!: string;

  @ApiProperty({ example: 'Change users', nullable: true })
  description!: string | null;

  @ApiProperty({ example: false, description: 'Guards a route of this server; cannot be removed' })
  builtIn!: boolean;
}

export class RoleIdQueryDto {
  @ApiProperty({ example: 2, description: '角色id' })
  @ToId()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  roleId!: number;
}

/** `?roleId=2&permissions=a&permissions=b` or the same as a JSON body. */
export class SetRolePermissionsDto {
  @ApiPropertyOptional({ example: 2 })
  @IsOptional()
  @ToId()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  roleId?: number;

  @ApiPropertyOptional({ type: [String], example: ['connect', 'publish'] })
  @IsOptional()
  // A single query value arrives as a string; an empty one means "none".
  @Transform(({ value }) => (typeof value === 'string' ? (value === '' ? [] : [value]) : value))
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Matches(PERMISSION_CODE, { each: true })
  permissions?: string[];
}

export class CreatePermissionDto {
  @ApiProperty({ example: 'publish', description: 'The scope code, e.g. for your own services: connect, publish, consume' })
  @IsString()
  @Matches(PERMISSION_CODE, { message: 'code must start with a letter and contain only letters, digits and : _ . - (at most 64)' })
  code!: string;

  @ApiProperty({ example: '发布消息' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ example: 'Publish to the message bus' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  description?: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CommaList, IntLike, Optional } from '../../common/input-rules';
import { MAX_ID } from '../../common/parse-id.pipe';

export const PERMISSION_CODE = /^[A-Za-z][A-Za-z0-9:_.-]{0,63}$/;

export class PermissionDto {
  @ApiProperty({ example: '修改用户' })
  name!: string;

  @ApiProperty({ example: 'system:user:alter', description: 'The scope code carried in tokens' })
  permission!: string;

  @ApiProperty({ type: String, example: 'Change users', nullable: true })
  description!: string | null;

  @ApiProperty({ example: false, description: 'Guards a route of this server; cannot be removed' })
  builtIn!: boolean;
}

/** Without a roleId: the whole catalog. */
export class RoleIdQueryDto {
  @ApiPropertyOptional({ example: 2, description: '角色id' })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  roleId?: number;
}

/** `?roleId=2&permissions=a&permissions=b` (or `permissions[]=a`, or `permissions=a,b`), or the same as a JSON body. */
export class SetRolePermissionsDto {
  @ApiPropertyOptional({ example: 2 })
  @Optional()
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  roleId?: number;

  @ApiPropertyOptional({ type: [String], example: ['connect', 'publish'] })
  // Not Optional(): an empty `permissions=` is given, and means none.
  @CommaList()
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
  @Optional()
  @IsString()
  @MaxLength(255)
  description?: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsInt, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IntLike, Optional } from '../../common/input-rules';
import { PageQueryDto } from '../../common/paging';
import { NoControlChars } from '../../common/no-control-chars';
import { MAX_ID } from '../../common/parse-id.pipe';

/** After NFKC normalisation: ASCII letters, digits and _ . - @ (look-alikes of other scripts are refused). */
export const USERNAME = /^[A-Za-z0-9_.@-]{3,64}$/;

export class RegisterDto {
  @ApiProperty({ example: 'alice', description: '3–64 letters, digits, _ . - @; compared case-insensitively' })
  @IsString()
  @MaxLength(256)
  username!: string;

  @ApiProperty({ example: 'correct-horse-battery', description: '8–64 characters, at most 72 bytes, not a common password' })
  @IsString()
  @MaxLength(256)
  password!: string;
}

export class RegisteredDto {
  @ApiProperty({ example: 5 }) id!: number;
  @ApiProperty({ example: 'alice' }) username!: string;
}

/**
 * Every field optional. The read-only fields of the document's model
 * (userId, createBy, createTime, updateBy, updateTime, loginIp, loginDate) are
 * accepted, so clients that send the whole model back keep working, and ignored.
 */
export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'alice' }) @Optional() @IsString() @MaxLength(256) username?: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Alice' }) @Clearable() @IsString() @MaxLength(64) nickname?: string | null;
  @ApiPropertyOptional({ description: 'A new password (8–64 characters, ≤ 72 bytes); changing one’s own needs oldPassword' })
  @Optional()
  @IsString()
  @MaxLength(256)
  password?: string;
  @ApiPropertyOptional({ description: 'The current password, to change one’s own' }) @Optional() @IsString() @MaxLength(256) oldPassword?: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://example.com/a.png' })
  @Clearable()
  @IsString()
  @MaxLength(512)
  @Matches(/^(https?:\/\/|\/)[^\s]*$/, { message: 'avatar must be an http(s) URL or a path' })
  avatar?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '13800000000' })
  @Clearable()
  @IsString()
  @Matches(/^\+?[0-9][0-9 -]{2,30}$/, { message: 'phone must be digits, spaces or dashes' })
  phone?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'alice@example.com' }) @Clearable() @IsEmail() @MaxLength(254) email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '1', enum: ['0', '1', '2'], description: '0 male, 1 female, 2 unknown' })
  @Clearable()
  @IsIn(['0', '1', '2'])
  sex?: string | null;
  @ApiPropertyOptional({ example: '0', enum: ['0', '1'], description: '0 normal, 1 disabled (needs userMan)' }) @Optional() @IsIn(['0', '1']) status?: string;
  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 2, description: 'Needs userMan' })
  @Clearable()
  @IntLike()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  deptId?: number | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'E1024', description: 'Needs userMan' }) @Clearable() @IsString() @Length(1, 64) employeeNo?:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'note' }) @Clearable() @IsString() @MaxLength(500) remark?: string | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Ignored' }) @Optional() userId?: unknown;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Ignored' }) @Optional() createBy?: unknown;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Ignored' }) @Optional() createTime?: unknown;
  @ApiPropertyOptional({ oneOf: [{ type: 'integer' }, { type: 'string' }], nullable: true, description: 'Ignored' }) @Optional() updateBy?: unknown;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Ignored' }) @Optional() updateTime?: unknown;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Ignored' }) @Optional() loginIp?: unknown;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Ignored' }) @Optional() loginDate?: unknown;
}

export class UserListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Contained in the username' }) @Optional() @IsString() @NoControlChars() @MaxLength(64) username?: string;
  @ApiPropertyOptional({ description: 'Contained in the phone number' }) @Optional() @IsString() @NoControlChars() @MaxLength(32) phone?: string;
  @ApiPropertyOptional({ enum: ['0', '1'] }) @Optional() @IsIn(['0', '1']) status?: string;
  @ApiPropertyOptional({ example: 2 }) @Optional() @IntLike() @IsInt() @Min(1) @Max(MAX_ID) deptId?: number;
}

export class UserInfoQueryDto {
  @ApiPropertyOptional({ description: 'Another user (needs userMan)' }) @Optional() @IsString() @MaxLength(64) username?: string;
}

/** The document's user model, without any password or hash. */
export class UserDto {
  @ApiProperty({ example: 1 }) userId!: number;
  @ApiProperty({ example: 'admin' }) username!: string;
  // The document's string fields: "" when unset, never null.
  @ApiProperty({ type: String, example: '管理员' }) nickname!: string | null;
  @ApiProperty({ type: String, example: 'https://example.com/a.png' }) avatar!: string | null;
  @ApiProperty({ type: String, example: '13800000000' }) phone!: string | null;
  @ApiProperty({ type: String, example: 'admin@example.com' }) email!: string | null;
  @ApiProperty({ type: String, example: '1', description: '0 male, 1 female, 2 unknown; "" when unset' }) sex!: string | null;
  @ApiProperty({ example: '0' }) status!: string;
  @ApiProperty({ type: String, nullable: true, example: '10.0.0.8', description: 'null before the first login' }) loginIp!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00', description: 'null before the first login' }) loginDate!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 1 }) createBy!: number | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) createTime!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 1 }) updateBy!: number | null;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) updateTime!: string | null;
  @ApiProperty({ type: String, example: '' }) remark!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'E1024' }) employeeNo!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 1 }) deptId!: number | null;
}

export class UserInfoDto {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 1 }) userId!: number;
  @ApiProperty({ example: 'admin' }) username!: string;
  @ApiProperty({ type: String, example: '管理员' }) nickname!: string | null;
  @ApiProperty({ type: String, example: 'https://example.com/a.png' }) avatar!: string | null;
  @ApiProperty({ type: String, example: 'admin@example.com' }) email!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 1 }) deptId!: number | null;
  @ApiProperty({ type: String, nullable: true, example: '总公司' }) deptName!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '0,1' }) deptPath!: string | null;
  @ApiProperty({ type: [String], example: ['管理员'] }) roles!: string[];
  @ApiProperty({ type: [String], example: ['userMan', 'role'] }) permissions!: string[];
  @ApiProperty({ example: '1', description: 'The widest data scope of the user’s enabled roles' }) dataScope!: string;
  @ApiProperty({ type: [Number], example: [1, 2, 3] }) deptIds!: number[];
}

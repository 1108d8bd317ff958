import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../common/paging';
import { NoControlChars } from '../../common/no-control-chars';
import { ToId } from '../../common/parse-id.pipe';

/** After NFKC normalisation: ASCII letters, digits and _ . - @ (look-alikes of other scripts are refused). */
export const USERNAME = /^[A-Za-z0-9_.@-]{3,64}$/;
const nullable = ValidateIf((_, value) => value !== null);

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
  @ApiPropertyOptional({ example: 'alice' }) @IsOptional() @IsString() @MaxLength(256) username?: string;
  @ApiPropertyOptional({ example: 'Alice' }) @IsOptional() @nullable @IsString() @MaxLength(64) nickname?: string | null;
  @ApiPropertyOptional({ description: 'A new password (8–64 characters, ≤ 72 bytes); changing one’s own needs oldPassword' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  password?: string;
  @ApiPropertyOptional({ description: 'The current password, to change one’s own' }) @IsOptional() @IsString() @MaxLength(256) oldPassword?: string;
  @ApiPropertyOptional({ example: 'https://example.com/a.png' }) @IsOptional() @nullable @IsString() @MaxLength(512) @Matches(/^(https?:\/\/|\/)[^\s]*$/, { message: 'avatar must be an http(s) URL or a path' }) avatar?: string | null;
  @ApiPropertyOptional({ example: '13800000000' }) @IsOptional() @nullable @IsString() @Matches(/^\+?[0-9][0-9 -]{2,30}$/, { message: 'phone must be digits, spaces or dashes' }) phone?: string | null;
  @ApiPropertyOptional({ example: 'alice@example.com' }) @IsOptional() @nullable @IsEmail() @MaxLength(254) email?: string | null;
  @ApiPropertyOptional({ example: '1', enum: ['0', '1', '2'], description: '0 male, 1 female, 2 unknown' }) @IsOptional() @nullable @IsIn(['0', '1', '2']) sex?: string | null;
  @ApiPropertyOptional({ example: '0', enum: ['0', '1'], description: '0 normal, 1 disabled (needs userMan)' }) @IsOptional() @IsIn(['0', '1']) status?: string;
  @ApiPropertyOptional({ example: 2, description: 'Needs userMan' }) @IsOptional() @nullable @IsInt() @Min(1) @Max(2_147_483_647) deptId?: number | null;
  @ApiPropertyOptional({ example: 'E1024', description: 'Needs userMan' }) @IsOptional() @nullable @IsString() @Length(1, 64) employeeNo?: string | null;
  @ApiPropertyOptional({ example: null }) @IsOptional() @nullable @IsString() @MaxLength(500) remark?: string | null;

  @ApiPropertyOptional({ description: 'Ignored' }) @IsOptional() userId?: unknown;
  @ApiPropertyOptional({ description: 'Ignored' }) @IsOptional() createBy?: unknown;
  @ApiPropertyOptional({ description: 'Ignored' }) @IsOptional() createTime?: unknown;
  @ApiPropertyOptional({ description: 'Ignored' }) @IsOptional() updateBy?: unknown;
  @ApiPropertyOptional({ description: 'Ignored' }) @IsOptional() updateTime?: unknown;
  @ApiPropertyOptional({ description: 'Ignored' }) @IsOptional() loginIp?: unknown;
  @ApiPropertyOptional({ description: 'Ignored' }) @IsOptional() loginDate?: unknown;
}

export class UserListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Contained in the username' }) @IsOptional() @IsString() @NoControlChars() @MaxLength(64) username?: string;
  @ApiPropertyOptional({ description: 'Contained in the phone number' }) @IsOptional() @IsString() @NoControlChars() @MaxLength(32) phone?: string;
  @ApiPropertyOptional({ enum: ['0', '1'] }) @IsOptional() @IsIn(['0', '1']) status?: string;
  @ApiPropertyOptional({ example: 2 }) @IsOptional() @ToId() @IsInt() @Min(1) @Max(2_147_483_647) deptId?: number;
}

export class UserInfoQueryDto {
  @ApiPropertyOptional({ description: 'Another user (needs userMan)' }) @IsOptional() @IsString() @MaxLength(64) username?: string;
}

/** The document's user model, without any password or hash. */
export class UserDto {
  @ApiProperty({ example: 1 }) userId!: number;
  @ApiProperty({ example: 'admin' }) username!: string;
  @ApiProperty({ example: '管理员', nullable: true }) nickname!: string | null;
  @ApiProperty({ nullable: true }) avatar!: string | null;
  @ApiProperty({ nullable: true }) phone!: string | null;
  @ApiProperty({ nullable: true }) email!: string | null;
  @ApiProperty({ nullable: true }) sex!: string | null;
  @ApiProperty({ example: '0' }) status!: string;
  @ApiProperty({ nullable: true }) loginIp!: string | null;
  @ApiProperty({ nullable: true, example: '2023-01-01 12:00:00' }) loginDate!: string | null;
  @ApiProperty({ nullable: true }) createBy!: number | null;
  @ApiProperty({ example: '2023-01-01 12:00:00' }) createTime!: string | null;
  @ApiProperty({ nullable: true }) updateBy!: number | null;
  @ApiProperty({ example: '2023-01-01 12:00:00' }) updateTime!: string | null;
  @ApiProperty({ nullable: true }) remark!: string | null;
  @ApiProperty({ nullable: true }) employeeNo!: string | null;
  @ApiProperty({ nullable: true, example: 1 }) deptId!: number | null;
}

export class UserInfoDto {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 1 }) userId!: number;
  @ApiProperty({ example: 'admin' }) username!: string;
  @ApiProperty({ example: '管理员', nullable: true }) nickname!: string | null;
  @ApiProperty({ nullable: true }) avatar!: string | null;
  @ApiProperty({ nullable: true, example: 'admin@example.com' }) email!: string | null;
  @ApiProperty({ nullable: true, example: 1 }) deptId!: number | null;
  @ApiProperty({ nullable: true, example: '总公司' }) deptName!: string | null;
  @ApiProperty({ nullable: true, example: '0,1' }) deptPath!: string | null;
  @ApiProperty({ type: [String], example: ['管理员'] }) roles!: string[];
  @ApiProperty({ type: [String], example: ['userMan', 'role'] }) permissions!: string[];
  @ApiProperty({ example: '1', description: 'The widest data scope of the user’s enabled roles' }) dataScope!: string;
  @ApiProperty({ type: [Number], example: [1, 2, 3] }) deptIds!: number[];
}

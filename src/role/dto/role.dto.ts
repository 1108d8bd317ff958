import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IntLike, Optional } from '../../common/input-rules';
import { NoControlChars } from '../../common/no-control-chars';
import { PageQueryDto } from '../../common/paging';
import { MAX_ID } from '../../common/parse-id.pipe';

export const ROLE_KEY = /^[A-Za-z][A-Za-z0-9_:.-]{0,63}$/;
const STATUSES = ['0', '1'];
const DATA_SCOPES = ['1', '2', '3', '4', '5'];

/** The rules of each role field, shared by its snake_case and camelCase spellings. */
const RoleNameRules = () => applyDecorators(Optional(), IsString(), Length(1, 64));
const RoleKeyRules = () =>
  applyDecorators(
    Optional(),
    IsString(),
    Matches(ROLE_KEY, { message: '$property must start with a letter and hold only letters, digits and _ : . - (at most 64)' }),
  );
const RoleSortRules = () => applyDecorators(Optional(), IntLike(), IsInt(), Min(0), Max(99_999));
const DataScopeRules = () => applyDecorators(Optional(), IsIn(DATA_SCOPES));
const DeptIdsRules = () =>
  applyDecorators(Optional(), IntLike(), IsArray(), ArrayMaxSize(1000), IsInt({ each: true }), Min(1, { each: true }), Max(MAX_ID, { each: true }));

/**
 * Role fields as the document names them (snake_case), or in camelCase: both
 * are accepted; when a field comes both ways the camelCase one wins.
 */
export class RoleBodyDto {
  @ApiPropertyOptional({ example: '运维', description: '角色名称' }) @RoleNameRules() role_name?: string;
  @ApiPropertyOptional({ example: 'ops', description: '角色权限字符串' }) @RoleKeyRules() role_key?: string;
  @ApiPropertyOptional({ example: 2, description: '显示顺序' }) @RoleSortRules() role_sort?: number;

  @ApiPropertyOptional({ example: '0', enum: STATUSES, description: '角色状态（0正常 1停用）' })
  @Optional()
  @IsIn(STATUSES)
  status?: string;

  @ApiPropertyOptional({ type: String, example: '运维人员', nullable: true, description: '备注' })
  @Clearable()
  @IsString()
  @MaxLength(500)
  remark?: string | null;

  @ApiPropertyOptional({ example: '1', enum: DATA_SCOPES, description: 'Data scope: 1 all, 2 custom departments, 3 own department, 4 own and below, 5 self' })
  @DataScopeRules()
  data_scope?: string;

  @ApiPropertyOptional({ type: [Number], example: [1, 2], description: 'Departments of data scope 2' }) @DeptIdsRules() dept_ids?: number[];

  @ApiPropertyOptional({ description: 'camelCase form of role_name' }) @RoleNameRules() roleName?: string;
  @ApiPropertyOptional({ description: 'camelCase form of role_key' }) @RoleKeyRules() roleKey?: string;
  @ApiPropertyOptional({ description: 'camelCase form of role_sort' }) @RoleSortRules() roleSort?: number;
  @ApiPropertyOptional({ description: 'camelCase form of data_scope' }) @DataScopeRules() dataScope?: string;
  @ApiPropertyOptional({ type: [Number], description: 'camelCase form of dept_ids' }) @DeptIdsRules() deptIds?: number[];
}

/** The fields of a role after the two spellings are merged. */
export interface RoleInput {
  roleName?: string;
  roleKey?: string;
  roleSort?: number;
  status?: string;
  remark?: string | null;
  dataScope?: string;
  deptIds?: number[];
}

export function roleInput(body: RoleBodyDto): RoleInput {
  return {
    roleName: body.roleName ?? body.role_name,
    roleKey: body.roleKey ?? body.role_key,
    roleSort: body.roleSort ?? body.role_sort,
    status: body.status,
    remark: body.remark,
    dataScope: body.dataScope ?? body.data_scope,
    deptIds: body.deptIds ?? body.dept_ids,
  };
}

export class RoleListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Contained in the role name' })
  @Optional()
  @IsString()
  @NoControlChars()
  @MaxLength(64)
  roleName?: string;

  @ApiPropertyOptional({ description: 'Contained in the role key' })
  @Optional()
  @IsString()
  @NoControlChars()
  @MaxLength(64)
  roleKey?: string;

  @ApiPropertyOptional({ enum: STATUSES })
  @Optional()
  @IsIn(STATUSES)
  status?: string;
}

export class RoleDto {
  @ApiProperty({ example: 1 }) roleId!: number;
  @ApiProperty({ example: '管理员' }) roleName!: string;
  @ApiProperty({ example: 'admin' }) roleKey!: string;
  @ApiProperty({ example: 1 }) roleSort!: number;
  @ApiProperty({ example: '0' }) status!: string;
  @ApiProperty({ example: '1' }) dataScope!: string;
  @ApiProperty({ type: String, nullable: true, example: '2023-01-01 12:00:00' }) createTime!: string | null;
  @ApiProperty({ type: String, example: '超级管理员', description: '"" when unset' }) remark!: string | null;
}

export class RoleDetailDto extends RoleDto {
  @ApiProperty({ type: [String], example: ['userMan', 'role'] }) permissions!: string[];
  @ApiProperty({ type: [Number], example: [] }) deptIds!: number[];
  @ApiProperty({ type: [Number], example: [], description: 'Menus are not managed here; always empty, for consoles that read it' }) menuIds!: number[];
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import type { FastifyRequest } from 'fastify';
import { Audited, noteAudit } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { invalidInput } from '../common/validation';
import type { Page } from '../common/paging';
import { CurrentPrincipal, Scopes } from '../security/decorators';
import type { Principal } from '../security/principal';
import { CreatePermissionDto, PERMISSION_CODE, PermissionDto, RoleIdQueryDto, SetRolePermissionsDto } from './dto/permission.dto';
import { PermissionService } from './permission.service';

const permissionExample = { name: '修改用户', permission: 'system:user:alter', description: 'Change users', builtIn: false };
const pageExample = { message: '查询成功', example: { total: 1, list: [permissionExample] } };

@ApiTags('权限管理 Permissions')
@Controller('perm')
export class PermissionController {
  constructor(private readonly permissions: PermissionService) {}

  @Get('list')
  @Scopes('role')
  @ApiOperation({ summary: '权限列表 Every permission in the catalog' })
  @ApiEnvelopeResponse(200, EnvelopeData.page(PermissionDto), pageExample)
  async list(): Promise<Reply<Page<PermissionDto>>> {
    return new Reply('query.success', await this.permissions.list());
  }

  @Get()
  @Scopes('role')
  @ApiOperation({ summary: '查询权限 The permissions of a role' })
  @ApiEnvelopeResponse(200, EnvelopeData.page(PermissionDto), pageExample)
  async ofRole(@Query() query: RoleIdQueryDto): Promise<Reply<Page<PermissionDto>>> {
    return new Reply('query.success', await this.permissions.ofRole(query.roleId));
  }

  @Put()
  @Scopes('role')
  @Audited({ action: 'permission_change' })
  @HttpCode(200)
  @ApiOperation({
    summary: '修改角色权限 Set a role’s permissions',
    description:
      '`?roleId=2&permissions=a&permissions=b`, or the same as a JSON body. The role ends up with exactly these; unknown codes → 400; a role or codes holding a scope the caller does not hold → 403 (removing is granting too); fewer than the whole catalog for the admin role → 409; nothing changes on an error.',
  })
  // The query form needs no body.
  @ApiBody({ type: SetRolePermissionsDto, required: false })
  @ApiEnvelopeResponse(200, EnvelopeData.none, { message: '修改成功' })
  async setForRole(
    @CurrentPrincipal() caller: Principal,
    @Query() query: SetRolePermissionsDto,
    @Body() body: SetRolePermissionsDto,
    @Req() request: FastifyRequest,
  ): Promise<Reply<null>> {
    const roleId = body?.roleId ?? query.roleId;
    const codes = body?.permissions ?? query.permissions;
    if (roleId === undefined || codes === undefined) {
      throw invalidInput(roleId === undefined ? 'roleId' : 'permissions', 'required');
    }
    noteAudit(request, { target: String(roleId), details: { permissions: codes } });
    await this.permissions.setRolePermissions(caller, roleId, codes);
    return new Reply('update.success', null);
  }

  @Post()
  @Scopes('role')
  @Audited({ action: 'permission_change', keep: ['code', 'name'] })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add a permission to the catalog',
    description: 'So that deployments can define scopes of their own services. The admin role gets it at once; its holders’ next tokens carry it.',
  })
  @ApiEnvelopeResponse(200, PermissionDto, {
    message: '新增成功',
    example: { ...permissionExample, name: '发布消息', permission: 'publish', description: 'Publish to the message bus' },
  })
  async create(@Body() body: CreatePermissionDto): Promise<Reply<PermissionDto>> {
    return new Reply('create.success', await this.permissions.create(body));
  }

  @Delete(':code')
  @Scopes('role')
  @Audited({ action: 'permission_change', target: 'code' })
  @HttpCode(200)
  @ApiParam({ name: 'code', example: 'publish' })
  @ApiOperation({
    summary: 'Remove a permission that is not built in',
    description: '409 while a role other than admin holds it; 403 unless the caller holds it.',
  })
  @ApiEnvelopeResponse(200, EnvelopeData.none, { message: '删除成功' })
  async remove(@CurrentPrincipal() caller: Principal, @Param('code') code: string): Promise<Reply<null>> {
    if (!PERMISSION_CODE.test(code)) throw invalidInput('code', 'matches', PERMISSION_CODE);
    await this.permissions.remove(caller, code);
    return new Reply('delete.success', null);
  }
}

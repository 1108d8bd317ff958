import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import type { FastifyRequest } from 'fastify';
import { Audited } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import { readGetBody } from '../common/get-body';
import type { Page } from '../common/paging';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { validated } from '../common/validate';
import { CORE_CONFIG, CoreConfig } from '../config/core.config';
import { CurrentPrincipal, Scopes } from '../security/decorators';
import { actorIdOf, Principal } from '../security/principal';
import { RoleBodyDto, RoleDetailDto, RoleDto, roleInput, RoleListQueryDto } from './dto/role.dto';
import { RoleService } from './role.service';

const roleExample = {
  roleId: 1,
  roleName: '管理员',
  roleKey: 'admin',
  roleSort: 1,
  status: '0',
  dataScope: '1',
  createTime: '2023-01-01 12:00:00',
  remark: '超级管理员',
};
const roleDetailExample = { ...roleExample, permissions: ['userMan'], deptIds: [], menuIds: [] };

@ApiTags('角色管理 Roles')
@Controller('role')
export class RoleController {
  constructor(
    private readonly roles: RoleService,
    @Inject(CORE_CONFIG) private readonly config: CoreConfig,
  ) {}

  @Get('list')
  @Scopes('role')
  @ApiOperation({
    summary: '获取角色列表 List roles',
    description: 'Filters from the query string, or from a JSON body sent with the GET as the API document does. Ordered by roleSort.',
  })
  @ApiQuery({ type: RoleListQueryDto })
  @ApiEnvelopeResponse(200, EnvelopeData.page(RoleDto), { message: '查询成功', example: { total: 1, list: [roleExample] } })
  async list(@Req() request: FastifyRequest): Promise<Reply<Page<RoleDto>>> {
    const fromBody = await readGetBody(request, this.config.bodyLimitBytes);
    const query = await validated(RoleListQueryDto, { ...fromBody, ...(request.query as object) });
    return new Reply('query.success', await this.roles.list(query));
  }

  @Get(':roleId')
  @Scopes('role')
  @ApiParam({ name: 'roleId', example: 1 })
  @ApiOperation({ summary: '查询角色信息 One role, with its permissions' })
  @ApiEnvelopeResponse(200, RoleDetailDto, { message: '获取成功', example: roleDetailExample })
  async get(@Param('roleId', ParseIdPipe) roleId: number): Promise<Reply<RoleDetailDto>> {
    return new Reply('fetch.success', await this.roles.get(roleId));
  }

  @Post()
  @Scopes('role')
  @Audited({
    action: 'role_change',
    keep: ['role_name', 'role_key', 'role_sort', 'status', 'data_scope', 'dept_ids', 'roleName', 'roleKey', 'roleSort', 'dataScope', 'deptIds'],
  })
  @HttpCode(200)
  @ApiBody({ type: RoleBodyDto, examples: { document: { value: { role_name: '运维', role_key: 'ops', role_sort: 2, status: '0', remark: '运维人员' } } } })
  @ApiOperation({ summary: '新增角色 Create a role', description: 'role_name and role_key are required; a role starts without permissions (PUT /perm).' })
  @ApiEnvelopeResponse(200, RoleDetailDto, { message: '新增成功', example: roleDetailExample })
  async create(@CurrentPrincipal() caller: Principal, @Body() body: RoleBodyDto): Promise<Reply<RoleDetailDto>> {
    return new Reply('create.success', await this.roles.create(actorIdOf(caller), roleInput(body)));
  }

  @Put(':roleId')
  @Scopes('role')
  @Audited({
    action: 'role_change',
    target: 'roleId',
    keep: ['role_name', 'role_key', 'role_sort', 'status', 'data_scope', 'dept_ids', 'roleName', 'roleKey', 'roleSort', 'dataScope', 'deptIds'],
  })
  @HttpCode(200)
  @ApiParam({ name: 'roleId', example: 2 })
  @ApiOperation({
    summary: '修改角色 Change a role',
    description:
      'Only the given fields change. The admin role cannot be disabled or renamed (409); a role holding a scope the caller lacks cannot be changed (403).',
  })
  @ApiEnvelopeResponse(200, RoleDetailDto, { message: '修改成功', example: roleDetailExample })
  async update(@CurrentPrincipal() caller: Principal, @Param('roleId', ParseIdPipe) roleId: number, @Body() body: RoleBodyDto): Promise<Reply<RoleDetailDto>> {
    return new Reply('update.success', await this.roles.update(caller, roleId, roleInput(body)));
  }

  @Delete(':roleId')
  @Scopes('role')
  @Audited({ action: 'role_change', target: 'roleId' })
  @HttpCode(200)
  @ApiParam({ name: 'roleId', example: 2 })
  @ApiOperation({
    summary: '删除角色 Delete a role',
    description: '409 while users are bound to it, and for the admin role; 403 when it holds a scope the caller lacks.',
  })
  @ApiEnvelopeResponse(200, EnvelopeData.none, { message: '删除成功' })
  async remove(@CurrentPrincipal() caller: Principal, @Param('roleId', ParseIdPipe) roleId: number): Promise<Reply<null>> {
    await this.roles.remove(caller, roleId);
    return new Reply('delete.success', null);
  }
}

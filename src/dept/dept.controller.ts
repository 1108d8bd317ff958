import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import { Audited } from '../audit/audited.decorator';
import { Reply } from '../common/envelope';
import type { Page } from '../common/paging';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { CurrentPrincipal, Scopes } from '../security/decorators';
import { actorIdOf, Principal } from '../security/principal';
import { DeptService } from './dept.service';
import { CreateDeptDto, DeptDto, UpdateDeptDto } from './dto/dept.dto';

const deptExample = {
  deptId: 1,
  parentId: 0,
  ancestors: '0',
  deptPath: '0,1',
  deptName: '总公司',
  orderNum: 0,
  status: '0',
  createTime: '2023-01-01 12:00:00',
  remark: '',
};

@ApiTags('部门管理 Departments')
@Controller('dept')
export class DeptController {
  constructor(private readonly depts: DeptService) {}

  @Get('list')
  @Scopes('userMan')
  @ApiOperation({ summary: 'Every department, parents first (build the tree from parentId)' })
  @ApiEnvelopeResponse(200, EnvelopeData.page(DeptDto), { message: '查询成功', example: { total: 1, list: [deptExample] } })
  async list(): Promise<Reply<Page<DeptDto>>> {
    return new Reply('query.success', await this.depts.list());
  }

  @Get(':id')
  @Scopes('userMan')
  @ApiParam({ name: 'id', example: 1 })
  @ApiOperation({ summary: 'One department' })
  @ApiEnvelopeResponse(200, DeptDto, { message: '获取成功', example: deptExample })
  async get(@Param('id', ParseIdPipe) id: number): Promise<Reply<DeptDto>> {
    return new Reply('fetch.success', await this.depts.get(id));
  }

  @Post()
  @Scopes('userMan')
  @Audited({ action: 'dept_change', keep: ['parentId', 'deptName'] })
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a department', description: 'Sibling names are unique (409).' })
  @ApiEnvelopeResponse(200, DeptDto, { message: '新增成功', example: deptExample })
  async create(@CurrentPrincipal() caller: Principal, @Body() body: CreateDeptDto): Promise<Reply<DeptDto>> {
    return new Reply('create.success', await this.depts.create(actorIdOf(caller), body));
  }

  @Put(':id')
  @Scopes('userMan')
  @Audited({ action: 'dept_change', target: 'id', keep: ['parentId', 'deptName', 'status'] })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: 2 })
  @ApiOperation({ summary: 'Change or move a department', description: 'Moving it moves its subtree; a move under itself is refused (400).' })
  @ApiEnvelopeResponse(200, DeptDto, { message: '修改成功', example: deptExample })
  async update(@CurrentPrincipal() caller: Principal, @Param('id', ParseIdPipe) id: number, @Body() body: UpdateDeptDto): Promise<Reply<DeptDto>> {
    return new Reply('update.success', await this.depts.update(actorIdOf(caller), id, body));
  }

  @Delete(':id')
  @Scopes('userMan')
  @Audited({ action: 'dept_change', target: 'id' })
  @HttpCode(200)
  @ApiParam({ name: 'id', example: 2 })
  @ApiOperation({ summary: 'Delete a department', description: '409 while it has sub-departments or users.' })
  @ApiEnvelopeResponse(200, EnvelopeData.none, { message: '删除成功' })
  async remove(@Param('id', ParseIdPipe) id: number): Promise<Reply<null>> {
    await this.depts.remove(id);
    return new Reply('delete.success', null);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req } from '@nestjs/common';
import { Audited } from '../audit/audited.decorator';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiEnvelopeResponse, EnvelopeData } from '../common/api-envelope';
import { AppException } from '../common/app.exception';
import { Reply } from '../common/envelope';
import { readGetBody } from '../common/get-body';
import type { Page } from '../common/paging';
import { MAX_ID, ParseIdPipe } from '../common/parse-id.pipe';
import { validated } from '../common/validate';
import { CORE_CONFIG, CoreConfig } from '../config/core.config';
import { invalidInput } from '../common/validation';
import type { BrokenRule } from '../common/validation-messages';
import { CurrentPrincipal, Public, Scopes } from '../security/decorators';
import type { Principal } from '../security/principal';
import { RegisterDto, RegisteredDto, UpdateUserDto, UserDto, UserInfoDto, UserInfoQueryDto, UserListQueryDto } from './dto/user.dto';
import { UserService } from './user.service';
import { LimitedPerAddress } from '../security/address-limit.interceptor';

const MAX_BOUND_ROLES = 100;
const userExample = {
  userId: 2,
  username: 'alice',
  nickname: 'Alice',
  avatar: 'https://example.com/a.png',
  phone: '13800000000',
  email: 'alice@example.com',
  sex: '1',
  status: '0',
  loginIp: '10.0.0.8',
  loginDate: '2023-01-01 12:00:00',
  createBy: 1,
  createTime: '2023-01-01 12:00:00',
  updateBy: 1,
  updateTime: '2023-01-01 12:00:00',
  remark: '',
  employeeNo: 'E1024',
  deptId: 2,
};

/** The body of POST /user/{uid}/bind: a JSON array of role ids. */
function roleIdList(body: unknown): number[] {
  if (!Array.isArray(body)) throw invalidInput('body', 'isArray');
  if (body.length > MAX_BOUND_ROLES) throw invalidInput('body', 'arrayMaxSize', MAX_BOUND_ROLES);
  const notIds: BrokenRule[] = body.flatMap((id, index) => (Number.isInteger(id) && id >= 1 && id <= MAX_ID ? [] : [{ rule: 'id', index }]));
  if (notIds.length > 0) throw new AppException('error.validation', { errors: [{ field: 'body', rules: notIds }] });
  return body as number[];
}

/** A change that carries oldPassword checks it: those are counted per address (LIMIT_PASSWORD_CHANGE_FAILURES_MAX). */
const checksPassword = (request: FastifyRequest) => typeof request.body === 'object' && request.body !== null && 'oldPassword' in request.body;

@ApiTags('用户管理 Users')
@Controller('user')
export class UserController {
  constructor(
    private readonly users: UserService,
    @Inject(CORE_CONFIG) private readonly config: CoreConfig,
  ) {}

  @Post()
  @Public()
  @Audited({ action: 'user_register', keep: ['username'] })
  @HttpCode(201)
  @ApiOperation({ summary: '注册 Register', description: 'Public; closed with REGISTRATION_ENABLED=false (403). The new user gets the DEFAULT_ROLE_KEY role.' })
  @ApiEnvelopeResponse(201, RegisteredDto, { message: '新增成功', example: { id: 5, username: 'alice' } })
  @ApiResponse({ status: 409, description: 'The username (or a look-alike of it) is taken' })
  async register(@Body() body: RegisterDto): Promise<Reply<RegisteredDto>> {
    return new Reply('create.success', await this.users.register(body.username, body.password));
  }

  @Get('list')
  @Scopes('userMan')
  @ApiOperation({
    summary: 'List users',
    description:
      'Filters: username and phone (contained), status, deptId; from the query string, or from a JSON body sent with the GET as GET /role/list takes them.',
  })
  @ApiQuery({ type: UserListQueryDto })
  @ApiEnvelopeResponse(200, EnvelopeData.page(UserDto), { message: '查询成功', example: { total: 1, list: [userExample] } })
  async list(@Req() request: FastifyRequest): Promise<Reply<Page<UserDto>>> {
    const fromBody = await readGetBody(request, this.config.bodyLimitBytes);
    const query = await validated(UserListQueryDto, { ...fromBody, ...(request.query as object) });
    return new Reply('query.success', await this.users.list(query));
  }

  @Get('info')
  @Scopes()
  @ApiOperation({ summary: '获取用户信息 Who the caller is', description: '`?username=` for another user needs userMan.' })
  @ApiEnvelopeResponse(200, EnvelopeData.object({ user: UserInfoDto }), {
    message: '获取成功',
    example: {
      user: {
        id: 1,
        userId: 1,
        username: 'admin',
        nickname: '管理员',
        avatar: null,
        email: 'admin@example.com',
        deptId: 1,
        deptName: '总公司',
        deptPath: '0,1',
        roles: ['管理员'],
        permissions: ['role', 'userMan'],
        dataScope: '1',
        deptIds: [1, 2, 3],
      },
    },
  })
  async info(@CurrentPrincipal() caller: Principal, @Query() query: UserInfoQueryDto): Promise<Reply<{ user: UserInfoDto }>> {
    return new Reply('fetch.success', await this.users.info(caller, query.username));
  }

  @Get(':uid')
  @Scopes()
  @ApiParam({ name: 'uid', example: 2 })
  @ApiOperation({ summary: '获取用户详情 One user', description: 'Oneself, or anyone with userMan. Never a password or hash.' })
  @ApiEnvelopeResponse(200, UserDto, { message: '获取成功', example: userExample })
  async get(@CurrentPrincipal() caller: Principal, @Param('uid', ParseIdPipe) uid: number): Promise<Reply<UserDto>> {
    return new Reply('fetch.success', await this.users.get(caller, uid));
  }

  @LimitedPerAddress('passwordChange', 'failures', checksPassword)
  @Put(':uid')
  @Scopes()
  @Audited({
    action: 'user_change',
    target: 'uid',
    keep: ['username', 'nickname', 'avatar', 'phone', 'email', 'sex', 'status', 'deptId', 'employeeNo', 'remark'],
  })
  @HttpCode(200)
  @ApiParam({ name: 'uid', example: 2 })
  @ApiOperation({
    summary: '修改用户信息 Change a user',
    description:
      'Oneself: nickname, avatar, phone, email, sex, remark, and the password with oldPassword. Everything else, and other users, need userMan. A new password ends the user’s other sessions; status "1" ends all of them.',
  })
  @ApiEnvelopeResponse(200, UserDto, { message: '修改成功', example: userExample })
  async update(@CurrentPrincipal() caller: Principal, @Param('uid', ParseIdPipe) uid: number, @Body() body: UpdateUserDto): Promise<Reply<UserDto>> {
    return new Reply('update.success', await this.users.update(caller, uid, body));
  }

  @Delete(':uid')
  @Scopes('userMan')
  @Audited({ action: 'user_delete', target: 'uid' })
  @HttpCode(200)
  @ApiParam({ name: 'uid', example: 2 })
  @ApiOperation({ summary: '删除用户 Delete a user', description: 'Its sessions end at once. Not oneself, not the last administrator (409).' })
  @ApiEnvelopeResponse(200, EnvelopeData.none, { message: '删除成功' })
  async remove(@CurrentPrincipal() caller: Principal, @Param('uid', ParseIdPipe) uid: number): Promise<Reply<null>> {
    await this.users.remove(caller, uid);
    return new Reply('delete.success', null);
  }

  @Post(':uid/kickout')
  @Scopes('kickout')
  @Audited({ action: 'kickout', target: 'uid' })
  @HttpCode(200)
  @ApiParam({ name: 'uid', example: 2 })
  @ApiOperation({
    summary: 'End all of a user’s sessions',
    description:
      'Its access tokens are refused on the next request; its refresh tokens no longer work. 403 when the user holds a scope the caller lacks (as DELETE /session/{id}).',
  })
  @ApiEnvelopeResponse(200, EnvelopeData.none)
  async kickout(@CurrentPrincipal() caller: Principal, @Param('uid', ParseIdPipe) uid: number): Promise<Reply<null>> {
    await this.users.kickoutAll(caller, uid);
    return new Reply('ok', null);
  }

  @Post(':uid/disable')
  @Scopes('disable')
  @Audited({ action: 'disable', target: 'uid' })
  @HttpCode(200)
  @ApiParam({ name: 'uid', example: 2 })
  @ApiOperation({ summary: 'Disable a user', description: 'It cannot log in, refresh or use any token. Not oneself, not the last administrator (409).' })
  @ApiEnvelopeResponse(200, UserDto, { message: '修改成功', example: { ...userExample, status: '1' } })
  async disable(@CurrentPrincipal() caller: Principal, @Param('uid', ParseIdPipe) uid: number): Promise<Reply<UserDto>> {
    return new Reply('update.success', await this.users.setEnabled(caller, uid, false));
  }

  @Post(':uid/enable')
  @Scopes('disable')
  @Audited({ action: 'enable', target: 'uid' })
  @HttpCode(200)
  @ApiParam({ name: 'uid', example: 2 })
  @ApiOperation({ summary: 'Enable a user', description: 'Old sessions stay ended.' })
  @ApiEnvelopeResponse(200, UserDto, { message: '修改成功', example: userExample })
  async enable(@CurrentPrincipal() caller: Principal, @Param('uid', ParseIdPipe) uid: number): Promise<Reply<UserDto>> {
    return new Reply('update.success', await this.users.setEnabled(caller, uid, true));
  }

  @Post(':uid/bind')
  @Scopes('userMan')
  @Audited({ action: 'role_change', target: 'uid', keep: ['*'] })
  @HttpCode(200)
  @ApiParam({ name: 'uid', example: 2 })
  @ApiBody({ schema: { type: 'array', items: { type: 'integer' }, example: [2, 3] } })
  @ApiOperation({
    summary: '绑定角色 Set a user’s roles',
    description:
      'The roles become exactly this set. Unknown ids → 400; a role added or removed that holds a scope the caller lacks, or a user holding one, → 403.',
  })
  @ApiEnvelopeResponse(200, EnvelopeData.none, { message: '修改成功' })
  async bind(@CurrentPrincipal() caller: Principal, @Param('uid', ParseIdPipe) uid: number, @Body() body: unknown): Promise<Reply<null>> {
    await this.users.bindRoles(caller, uid, roleIdList(body));
    return new Reply('update.success', null);
  }
}

import { Injectable } from '@nestjs/common';
import { EntityManager, FindOptionsRelations, In } from 'typeorm';
import { AppException } from '../common/app.exception';
import { containsPattern, LIKE_ESCAPE, Page, pageWindow } from '../common/paging';
import { formatTime } from '../common/time';
import type { FieldRules } from '../common/validation-messages';
import { conflictOnDuplicate } from '../database/db-errors';
import { ReadCache, ReadCaches } from '../database/read-cache';
import { Transactions } from '../database/transactions';
import { Dept } from '../dept/entities/dept.entity';
import { assertCanChangeRoles, heldScopes } from '../security/grants';
import { actorIdOf, Principal } from '../security/principal';
import { RoleDetailDto, RoleDto, RoleInput, RoleListQueryDto } from './dto/role.dto';
import { ADMIN_ROLE_KEY, DATA_SCOPE, Role, ROLE_STATUS_NORMAL } from './entities/role.entity';

function toRoleDto(role: Role): RoleDto {
  return {
    roleId: role.id,
    roleName: role.roleName,
    roleKey: role.roleKey,
    roleSort: role.roleSort,
    status: role.status,
    dataScope: role.dataScope,
    createTime: formatTime(role.createTime) ?? '',
    // The document's type: a string, "" when there is none.
    remark: role.remark ?? '',
  };
}

const roleNotFound = () => new AppException('error.roleNotFound');
const adminProtected = () => new AppException('error.adminRoleProtected');

/**
 * The role with its permissions, for a change that depends on them. On MySQL
 * its row stays locked until the transaction ends, so the scopes checked are
 * the scopes changed; SQLite runs one transaction at a time anyway.
 */
export async function roleForChange(manager: EntityManager, roleId: number, relations: FindOptionsRelations<Role> = {}): Promise<Role> {
  const repository = manager.getRepository(Role);
  if (manager.dataSource.options.type === 'mysql') {
    await repository.createQueryBuilder('role').select('role.id').where('role.id = :roleId', { roleId }).setLock('pessimistic_write').getOne();
  }
  const role = await repository.findOne({ where: { id: roleId }, relations: { ...relations, permissions: true } });
  if (!role) throw roleNotFound();
  return role;
}

@Injectable()
export class RoleService {
  /** Pages of GET /role/list: read on every console screen, changed rarely. */
  private readonly pages: ReadCache<string, Page<RoleDto>>;

  constructor(
    private readonly transactions: Transactions,
    caches: ReadCaches,
  ) {
    this.pages = caches.forTable('sys_role');
  }

  list(query: RoleListQueryDto): Promise<Page<RoleDto>> {
    const key = JSON.stringify([query.pageNum ?? 1, query.pageSize ?? 10, query.roleName ?? '', query.roleKey ?? '', query.status ?? '']);
    return this.pages.get(key, () => this.loadPage(query));
  }

  private async loadPage(query: RoleListQueryDto): Promise<Page<RoleDto>> {
    const builder = this.transactions.reader.getRepository(Role).createQueryBuilder('role');
    if (query.roleName) builder.andWhere(`role.roleName LIKE :name ${LIKE_ESCAPE}`, { name: containsPattern(query.roleName) });
    if (query.roleKey) builder.andWhere(`role.roleKey LIKE :key ${LIKE_ESCAPE}`, { key: containsPattern(query.roleKey) });
    if (query.status) builder.andWhere('role.status = :status', { status: query.status });
    const { skip, take } = pageWindow(query);
    const [roles, total] = await builder.orderBy('role.roleSort', 'ASC').addOrderBy('role.id', 'ASC').skip(skip).take(take).getManyAndCount();
    return { total, list: roles.map(toRoleDto) };
  }

  async get(roleId: number): Promise<RoleDetailDto> {
    const role = await this.transactions.reader.getRepository(Role).findOne({ where: { id: roleId }, relations: { permissions: true, depts: true } });
    if (!role) throw roleNotFound();
    return {
      ...toRoleDto(role),
      permissions: role.permissions.map((p) => p.code).sort(),
      deptIds: role.depts.map((d) => d.id).sort((a, b) => a - b),
      menuIds: [],
    };
  }

  async create(callerId: number | null, input: RoleInput): Promise<RoleDetailDto> {
    const missing = (['roleName', 'roleKey'] as const).filter((field) => input[field] === undefined);
    if (missing.length > 0)
      throw new AppException('error.validation', { errors: missing.map((field): FieldRules => ({ field, rules: [{ rule: 'required' }] })) });
    const id = await this.write(async (manager) => {
      const repository = manager.getRepository(Role);
      const role = repository.create({
        roleName: input.roleName,
        roleKey: input.roleKey,
        roleSort: input.roleSort ?? 0,
        status: input.status ?? '0',
        dataScope: input.dataScope ?? DATA_SCOPE.all,
        remark: input.remark ?? null,
        createBy: callerId,
        updateBy: callerId,
        permissions: [],
        depts: await this.depts(manager, input.deptIds ?? []),
      });
      return (await repository.save(role)).id;
    });
    return this.get(id);
  }

  /** Changing a role, even only its status or name, needs every scope it has (it cannot gain any here). */
  async update(caller: Principal, roleId: number, input: RoleInput): Promise<RoleDetailDto> {
    await this.write(async (manager) => {
      const role = await roleForChange(manager, roleId, { depts: true });
      if (
        role.roleKey === ADMIN_ROLE_KEY &&
        ((input.status !== undefined && input.status !== ROLE_STATUS_NORMAL) || (input.roleKey !== undefined && input.roleKey !== ADMIN_ROLE_KEY))
      ) {
        throw adminProtected();
      }
      assertCanChangeRoles(await heldScopes(manager, caller), role);
      if (input.roleName !== undefined) role.roleName = input.roleName;
      if (input.roleKey !== undefined) role.roleKey = input.roleKey;
      if (input.roleSort !== undefined) role.roleSort = input.roleSort;
      if (input.status !== undefined) role.status = input.status;
      if (input.remark !== undefined) role.remark = input.remark;
      if (input.dataScope !== undefined) role.dataScope = input.dataScope;
      if (input.deptIds !== undefined) role.depts = await this.depts(manager, input.deptIds);
      role.updateBy = actorIdOf(caller);
      await manager.getRepository(Role).save(role);
    });
    return this.get(roleId);
  }

  async remove(caller: Principal, roleId: number): Promise<void> {
    await this.transactions.run(async (manager) => {
      const role = await roleForChange(manager, roleId);
      if (role.roleKey === ADMIN_ROLE_KEY) throw adminProtected();
      assertCanChangeRoles(await heldScopes(manager, caller), role);
      // Refused by the database as well: a binding made in parallel cannot be dropped silently.
      const result = await manager
        .createQueryBuilder()
        .delete()
        .from(Role)
        .where('role_id = :roleId', { roleId })
        .andWhere('NOT EXISTS (SELECT 1 FROM sys_user_role ur WHERE ur.role_id = :roleId)', { roleId })
        .execute();
      if (result.affected !== 1) throw new AppException('error.roleInUse');
    });
  }

  private write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return conflictOnDuplicate(this.transactions.run(work), 'error.roleKeyTaken');
  }

  private async depts(manager: EntityManager, ids: number[]): Promise<Dept[]> {
    const unique = [...new Set(ids)];
    const found = unique.length ? await manager.getRepository(Dept).findBy({ id: In(unique) }) : [];
    if (found.length !== unique.length) throw new AppException('error.unknownDept');
    return found;
  }
}

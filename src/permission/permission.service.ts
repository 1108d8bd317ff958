import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { AppException } from '../common/app.exception';
import type { Page } from '../common/paging';
import { conflictOnDuplicate } from '../database/db-errors';
import { Transactions } from '../database/transactions';
import { ADMIN_ROLE_KEY, Role } from '../role/entities/role.entity';
import { roleForChange } from '../role/role.service';
import { assertCanChangeRoles, assertCanGrant, heldScopes } from '../security/grants';
import type { Principal } from '../security/principal';
import { CreatePermissionDto, PermissionDto } from './dto/permission.dto';
import { Permission } from './entities/permission.entity';

function toPermissionDto(permission: Permission): PermissionDto {
  return { name: permission.name, permission: permission.code, description: permission.description, builtIn: permission.builtIn };
}

@Injectable()
export class PermissionService {
  constructor(private readonly transactions: Transactions) {}

  async list(): Promise<Page<PermissionDto>> {
    const permissions = await this.transactions.reader.getRepository(Permission).find({ order: { code: 'ASC' } });
    return { total: permissions.length, list: permissions.map(toPermissionDto) };
  }

  /** A role's permissions; the whole catalog, in the same shape, without a role. */
  async ofRole(roleId: number | undefined): Promise<Page<PermissionDto>> {
    if (roleId === undefined) return this.list();
    const role = await this.transactions.reader.getRepository(Role).findOne({ where: { id: roleId }, relations: { permissions: true } });
    if (!role) throw new AppException('error.roleNotFound');
    const permissions = [...role.permissions].sort((a, b) => a.code.localeCompare(b.code));
    return { total: permissions.length, list: permissions.map(toPermissionDto) };
  }

  /**
   * The role's permissions become exactly `codes`. Removing is granting too:
   * the caller must hold every scope the role has, before and after. The
   * admin role holds the whole catalog, always: only a no-op is accepted there.
   */
  async setRolePermissions(caller: Principal, roleId: number, codes: string[]): Promise<void> {
    await this.transactions.run(async (manager) => {
      const role = await roleForChange(manager, roleId);
      const wanted = await this.existing(manager, codes);
      assertCanChangeRoles(await heldScopes(manager, caller), role, { permissions: wanted });
      if (role.roleKey === ADMIN_ROLE_KEY) {
        const kept = new Set(wanted.map((p) => p.code));
        const dropped = (await manager.getRepository(Permission).find({ select: { code: true } })).filter((p) => !kept.has(p.code));
        if (dropped.length > 0) throw new AppException('error.adminRoleComplete', { permissions: dropped.map((p) => p.code).sort() });
        return;
      }
      role.permissions = wanted;
      await manager.getRepository(Role).save(role);
    });
  }

  /** A new catalog entry goes to the admin role in the same transaction: someone must be able to grant it. */
  async create(input: CreatePermissionDto): Promise<PermissionDto> {
    const permission = { code: input.code, name: input.name, description: input.description ?? null, builtIn: false };
    return conflictOnDuplicate(
      this.transactions.run(async (manager) => {
        const admin = await this.adminRoleId(manager);
        await manager.getRepository(Permission).insert(permission);
        if (admin !== undefined) await manager.createQueryBuilder().relation(Role, 'permissions').of(admin).add(input.code);
        return toPermissionDto(await manager.getRepository(Permission).findOneByOrFail({ code: input.code }));
      }),
      'error.permissionTaken',
    );
  }

  /**
   * Only while no role but the admin role holds it (the admin role loses it with
   * the entry), and only by a caller holding it: nobody takes away what they lack.
   */
  async remove(caller: Principal, code: string): Promise<void> {
    await this.transactions.run(async (manager) => {
      const permission = await manager.getRepository(Permission).findOneBy({ code });
      if (!permission) throw new AppException('error.permissionNotFound');
      if (permission.builtIn) throw new AppException('error.builtInPermission');
      assertCanGrant(await heldScopes(manager, caller), [code], 'error.cannotRemovePermission');
      const admin = await this.adminRoleId(manager);
      if (admin !== undefined) await manager.createQueryBuilder().relation(Role, 'permissions').of(admin).remove(code);
      // Refused by the database too: removing it while a role gains it in parallel cannot strip the role silently.
      const result = await manager
        .createQueryBuilder()
        .delete()
        .from(Permission)
        .where('code = :code', { code })
        .andWhere('NOT EXISTS (SELECT 1 FROM sys_role_permission rp WHERE rp.permission_code = :code)', { code })
        .execute();
      if (result.affected !== 1) throw new AppException('error.permissionInUse');
    });
  }

  /** The admin role's id, its row locked (MySQL) so that its scopes and the catalog change together. */
  private async adminRoleId(manager: EntityManager): Promise<number | undefined> {
    const builder = manager.getRepository(Role).createQueryBuilder('role').select('role.id').where('role.roleKey = :key', { key: ADMIN_ROLE_KEY });
    if (manager.dataSource.options.type === 'mysql') builder.setLock('pessimistic_write');
    return (await builder.getOne())?.id;
  }

  /** The catalog entries for these codes; any unknown code is a 400 and changes nothing. */
  async existing(manager: EntityManager, codes: string[]): Promise<Permission[]> {
    const unique = [...new Set(codes)];
    const found = unique.length ? await manager.getRepository(Permission).findBy({ code: In(unique) }) : [];
    if (found.length !== unique.length) {
      const known = new Set(found.map((p) => p.code));
      throw new AppException('error.unknownPermissions', { permissions: unique.filter((code) => !known.has(code)) });
    }
    return found;
  }
}

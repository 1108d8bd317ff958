import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { AppException } from '../common/app.exception';
import type { Page } from '../common/paging';
import { conflictOnDuplicate } from '../database/db-errors';
import { Transactions } from '../database/transactions';
import { Role } from '../role/entities/role.entity';
import { assertCanGrant } from '../security/grants';
import type { Principal } from '../security/principal';
import { CreatePermissionDto, PermissionDto } from './dto/permission.dto';
import { Permission } from './entities/permission.entity';

export function toPermissionDto(permission: Permission): PermissionDto {
  return { name: permission.name, permission: permission.code, description: permission.description, builtIn: permission.builtIn };
}

@Injectable()
export class PermissionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
  ) {}

  async list(): Promise<Page<PermissionDto>> {
    const permissions = await this.dataSource.getRepository(Permission).find({ order: { code: 'ASC' } });
    return { total: permissions.length, list: permissions.map(toPermissionDto) };
  }

  /** A role's permissions; the whole catalog, in the same shape, without a role. */
  async ofRole(roleId: number | undefined): Promise<Page<PermissionDto>> {
    if (roleId === undefined) return this.list();
    const role = await this.dataSource.getRepository(Role).findOne({ where: { id: roleId }, relations: { permissions: true } });
    if (!role) throw new AppException(404, 'error.roleNotFound');
    const permissions = [...role.permissions].sort((a, b) => a.code.localeCompare(b.code));
    return { total: permissions.length, list: permissions.map(toPermissionDto) };
  }

  /** The role's permissions become exactly `codes`; what it gains, the caller must hold. */
  async setRolePermissions(caller: Principal, roleId: number, codes: string[]): Promise<void> {
    await this.transactions.run(async (manager) => {
      const role = await manager.getRepository(Role).findOne({ where: { id: roleId }, relations: { permissions: true } });
      if (!role) throw new AppException(404, 'error.roleNotFound');
      const wanted = await this.existing(manager, codes);
      const held = new Set(role.permissions.map((p) => p.code));
      assertCanGrant(
        caller,
        wanted.filter((p) => !held.has(p.code)).map((p) => p.code),
      );
      role.permissions = wanted;
      await manager.getRepository(Role).save(role);
    });
  }

  async create(input: CreatePermissionDto): Promise<PermissionDto> {
    const repository = this.dataSource.getRepository(Permission);
    const permission = repository.create({ code: input.code, name: input.name, description: input.description ?? null, builtIn: false });
    await conflictOnDuplicate(
      this.transactions.run((manager) => manager.getRepository(Permission).insert(permission)),
      'error.permissionTaken',
    );
    return toPermissionDto(await repository.findOneByOrFail({ code: input.code }));
  }

  async remove(code: string): Promise<void> {
    await this.transactions.run(async (manager) => {
      const permission = await manager.getRepository(Permission).findOneBy({ code });
      if (!permission) throw new AppException(404, 'error.permissionNotFound');
      if (permission.builtIn) throw new AppException(409, 'error.builtInPermission');
      // Refused by the database too: removing it while a role gains it in parallel cannot strip the role silently.
      const result = await manager
        .createQueryBuilder()
        .delete()
        .from(Permission)
        .where('code = :code', { code })
        .andWhere('NOT EXISTS (SELECT 1 FROM sys_role_permission rp WHERE rp.permission_code = :code)', { code })
        .execute();
      if (result.affected !== 1) throw new AppException(409, 'error.permissionInUse');
    });
  }

  /** The catalog entries for these codes; any unknown code is a 400 and changes nothing. */
  async existing(manager: EntityManager, codes: string[]): Promise<Permission[]> {
    const unique = [...new Set(codes)];
    const found = unique.length ? await manager.getRepository(Permission).findBy({ code: In(unique) }) : [];
    if (found.length !== unique.length) {
      const known = new Set(found.map((p) => p.code));
      throw new AppException(400, 'error.unknownPermissions', { permissions: unique.filter((code) => !known.has(code)) });
    }
    return found;
  }
}

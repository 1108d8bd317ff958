import { Column, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn } from 'typeorm';
import { AuditedEntity } from '../../database/audited.entity';
import { Dept } from '../../dept/entities/dept.entity';
import { Permission } from '../../permission/entities/permission.entity';

export const ROLE_STATUS_NORMAL = '0';
/** Which departments' data a role sees (RuoYi's data_scope); the smallest code is the widest. */
export const DATA_SCOPE = { all: '1', custom: '2', ownDept: '3', ownDeptAndBelow: '4', self: '5' } as const;
export const ADMIN_ROLE_KEY = 'admin';

@Entity({ name: 'sys_role' })
export class Role extends AuditedEntity {
  @PrimaryGeneratedColumn({ name: 'role_id', type: 'int' })
  id!: number;

  @Column({ name: 'role_name', type: 'varchar', length: 64 })
  roleName!: string;

  @Column({ name: 'role_key', type: 'varchar', length: 64 })
  roleKey!: string;

  @Column({ name: 'role_sort', type: 'int', default: 0 })
  roleSort!: number;

  /** "0" normal, "1" disabled: a disabled role grants nothing. */
  @Column({ type: 'varchar', length: 1, default: ROLE_STATUS_NORMAL })
  status!: string;

  /** "1" all, "2" custom departments, "3" own department, "4" own and below, "5" self. */
  @Column({ name: 'data_scope', type: 'varchar', length: 1, default: '1' })
  dataScope!: string;

  @ManyToMany(() => Permission)
  @JoinTable({
    name: 'sys_role_permission',
    joinColumn: { name: 'role_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'permission_code', referencedColumnName: 'code' },
  })
  permissions!: Permission[];

  /** The departments of data scope "2" (custom). */
  @ManyToMany(() => Dept)
  @JoinTable({
    name: 'sys_role_dept',
    joinColumn: { name: 'role_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'dept_id', referencedColumnName: 'id' },
  })
  depts!: Dept[];
}

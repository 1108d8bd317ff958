import { Column, CreateDateColumn, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Permission } from '../../permission/entities/permission.entity';

export const ROLE_STATUS_NORMAL = '0';
export const ADMIN_ROLE_KEY = 'admin';

@Entity({ name: 'sys_role' })
export class Role {
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

  @Column({ name: 'create_by', type: 'int', nullable: true })
  createBy!: number | null;

  @CreateDateColumn({ name: 'create_time', type: 'datetime', precision: 3 })
  createTime!: Date;

  @Column({ name: 'update_by', type: 'int', nullable: true })
  updateBy!: number | null;

  @UpdateDateColumn({ name: 'update_time', type: 'datetime', precision: 3 })
  updateTime!: Date;

  @Column({ type: 'varchar', length: 500, nullable: true })
  remark!: string | null;

  @ManyToMany(() => Permission)
  @JoinTable({
    name: 'sys_role_permission',
    joinColumn: { name: 'role_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'permission_code', referencedColumnName: 'code' },
  })
  permissions!: Permission[];
}

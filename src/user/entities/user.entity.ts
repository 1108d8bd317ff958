import { Column, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn } from 'typeorm';
import { AuditedEntity } from '../../database/audited.entity';
import { Role } from '../../role/entities/role.entity';

export const USER_STATUS_NORMAL = '0';
export const USER_STATUS_DISABLED = '1';

@Entity({ name: 'sys_user' })
export class User extends AuditedEntity {
  @PrimaryGeneratedColumn({ name: 'user_id', type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  /** NFKC-normalised, lower-cased username: the unique key, so look-alike names collide. */
  @Column({ name: 'username_key', type: 'varchar', length: 64 })
  usernameKey!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 100, select: false })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  nickname!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  avatar!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  phone!: string | null;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 1, nullable: true })
  sex!: string | null;

  /** "0" normal, "1" disabled. */
  @Column({ type: 'varchar', length: 1, default: USER_STATUS_NORMAL })
  status!: string;

  @Column({ name: 'employee_no', type: 'varchar', length: 64, nullable: true })
  employeeNo!: string | null;

  @Column({ name: 'dept_id', type: 'int', nullable: true })
  deptId!: number | null;

  @Column({ name: 'login_ip', type: 'varchar', length: 64, nullable: true })
  loginIp!: string | null;

  @Column({ name: 'login_date', type: 'datetime', precision: 3, nullable: true })
  loginDate!: Date | null;

  @ManyToMany(() => Role)
  @JoinTable({
    name: 'sys_user_role',
    joinColumn: { name: 'user_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'role_id', referencedColumnName: 'id' },
  })
  roles!: Role[];
}

/** The form a username is compared in: NFKC, lower case. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}
